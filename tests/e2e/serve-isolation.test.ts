/** Connections to one serve bridge are kept apart: each sees only its own jobs' events and can cancel only them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent } from '../../electron/shared/contract.js';
import type { ServeMessage } from '../../electron/shared/serveProtocol.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { serveCookie, startServe, type ServeProcess } from './harness.js';

let s: ServeProcess;
let cookie: string;
beforeAll(async () => {
  s = await startServe();
  cookie = await serveCookie(s);
});
afterAll(() => s?.stop());

/** A connection that records every event and answers calls by id. */
async function client() {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api`, { headers: { cookie, origin: `http://127.0.0.1:${s.port}` } });
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  const events: JobEvent[] = [];
  const waiting = new Map<number, (m: ServeMessage) => void>();
  ws.on('message', (d: Buffer) => {
    const m = decodeFrame<ServeMessage>(new Uint8Array(d));
    if (m.t === 'event') events.push(m.event);
    else if (m.t === 'result') waiting.get(m.id)?.(m);
  });
  let next = 1;
  const call = (op: string, args: unknown[]) =>
    new Promise<ServeMessage>((resolve) => {
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
  it("see only their own jobs and cannot cancel another connection's", async () => {
    const a = await client();
    const b = await client();
    const started = await a.call('fill', [fillRequest()]);
    expect(started).toMatchObject({ t: 'result', ok: true });
    const jobId = (started as { value: string }).value;
    const cancel = await b.call('cancel', [jobId]);
    expect(cancel).toMatchObject({ ok: false, error: { code: 'UNKNOWN_JOB' } });
    await expect.poll(() => a.events.some((e) => e.jobId === jobId && e.stage === 'finished'), { timeout: 60_000 }).toBe(true);
    expect(a.events.some((e) => e.stage === 'done')).toBe(true);
    expect(b.events).toEqual([]);
    a.ws.close();
    b.ws.close();
  });
});
