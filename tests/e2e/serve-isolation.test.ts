/** Connections to one serve bridge are kept apart: each sees only its own jobs' events and can cancel only them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../electron/shared/contract.js';
import { startServe, type ServeProcess } from './harness.js';
import { client as connect, smallFill as fillRequest } from './serve-client.js';

let s: ServeProcess;
beforeAll(async () => {
  s = await startServe();
});
afterAll(() => s?.stop());

describe('serve connections', () => {
  it("see only their own jobs and cannot cancel another connection's, even under the same job id", async () => {
    const a = await connect(s);
    const b = await connect(s);
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
    const a = await connect(s);
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
