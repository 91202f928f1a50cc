/** Connections to one serve bridge are kept apart: each sees only its own jobs' events and can cancel only them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent } from '../../electron/shared/contract.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { apiSocket, startServe, type ServeProcess } from './harness.js';

let s: ServeProcess;
beforeAll(async () => {
  s = await startServe();
});
afterAll(() => s?.stop());

/** A connection that records every event and answers calls by id. */
async function client() {
  const ws = apiSocket(s);
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  const events: JobEvent[] = [];
  const waiting = new Map<number, (m: RpcMessage) => void>();
  ws.on('message', (d: Buffer) => {
    const m = decodeFrame<RpcMessage>(new Uint8Array(d));
    if (m.t === 'event') events.push(m.event);
    else if (m.t === 'result') waiting.get(m.id)?.(m);
  });
  let next = 1;
  const call = (op: string, args: unknown[]) =>
    new Promise<RpcMessage>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(encodeFrame({ t: 'call', id, op, args }));
    });
  return { ws, events, call };
}

function fillRequest(): FillRequest {
  const W = 192, H = 160;
  const data = new Uint8Array(W * H * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 251));
  const mask = new Uint8Array(W * H);
  for (let y = 60; y < 90; y++) mask.fill(255, y * W + 70, y * W + 110);
  return { image: { width: W, height: H, data }, mask: { width: W, height: H, data: mask }, settings: { ...DEFAULT_SETTINGS, methods: ['vqddm'], steps: 3 } };
}

describe('serve connections', () => {
  it("see only their own jobs and cannot cancel another connection's, even under the same job id", async () => {
    const a = await client();
    const b = await client();
    // Both name their job the same: the ids are each connection's own.
    const jobId = 'job-1';
    const started = await a.call('fill', [fillRequest(), jobId]);
    expect(started).toMatchObject({ t: 'result', ok: true });
    const cancel = await b.call('cancel', [jobId]);
    expect(cancel).toMatchObject({ ok: false, error: { code: 'UNKNOWN_JOB' } });
    const again = await a.call('fill', [fillRequest(), jobId]);
    expect(again).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const other = await b.call('fill', [fillRequest(), jobId]);
    expect(other).toMatchObject({ t: 'result', ok: true });
    await expect.poll(() => a.events.some((e) => e.jobId === jobId && e.stage === 'finished'), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => b.events.some((e) => e.jobId === jobId && e.stage === 'finished'), { timeout: 60_000 }).toBe(true);
    // Each saw its own job's events once: one 'done' each, none of the other's.
    expect(a.events.filter((e) => e.stage === 'done')).toHaveLength(1);
    expect(b.events.filter((e) => e.stage === 'done')).toHaveLength(1);
    a.ws.close();
    b.ws.close();
  });

  it('answers a call whose arguments do not fit the operation table with an error naming the argument', async () => {
    const a = await client();
    const noId = await a.call('fill', [fillRequest()]);
    expect(noId).toMatchObject({ ok: false, error: { code: 'BAD_IMAGE', message: expect.stringMatching(/^fill: argument 1:/) } });
    const halfPixel = await a.call('fill', [{ ...fillRequest(), image: { ...fillRequest().image, width: 32.5 } }, 'j']);
    expect(halfPixel).toMatchObject({ ok: false, error: { code: 'BAD_IMAGE', message: expect.stringMatching(/argument 0\.image\.width/) } });
    const settings = await a.call('fill', [{ ...fillRequest(), settings: { ...DEFAULT_SETTINGS, temperature: 0 } }, 'j']);
    expect(settings).toMatchObject({ ok: false, error: { code: 'BAD_SETTINGS', message: 'temperature must be a number from 0.05 to 5, got 0' } });
    const quality = await a.call('encodeImage', [fillRequest().image, 'png', 101]);
    expect(quality).toMatchObject({ ok: false, error: { code: 'BAD_SETTINGS', message: expect.stringMatching(/quality must be from 1 to 100/) } });
    a.ws.close();
  });
});
