/**
 * The refinement stages run on worker threads in the serve process (electron/engine/jobs/refinePool.ts):
 * while a large hole is being refined the engine still answers, and a compare fill's methods overlap (the
 * second method's model stages start while the first is refined).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent } from '../../electron/shared/contract.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { startServe, type ServeProcess } from './harness.js';
import { client } from './serve-client.js';

let s: ServeProcess;
beforeAll(async () => {
  s = await startServe();
});
afterAll(() => s?.stop());

/** A 640 x 480 patterned photo with a 300 x 220 hole, both methods, every refinement stage. */
function largeFill(): FillRequest {
  const W = 640, H = 480;
  const data = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      data[i] = (x * 3 + y) % 256;
      data[i + 1] = (Math.floor(x / 16) + Math.floor(y / 16)) % 2 ? 200 : 60;
      data[i + 2] = (x ^ y) & 255;
      data[i + 3] = 255;
    }
  }
  const mask = new Uint8Array(W * H);
  for (let y = 130; y < 350; y++) mask.fill(255, y * W + 170, y * W + 470);
  return { image: { width: W, height: H, data }, mask: { width: W, height: H, data: mask }, settings: { ...DEFAULT_SETTINGS, methods: ['vqddm', 'transformer'], steps: 4 } };
}

describe('refinement off the engine thread (serve)', () => {
  it('answers a request while a hole is refined, and starts the next method meanwhile', async () => {
    const c = await client(s);
    const order: string[] = [];
    let asked: Promise<RpcMessage> | null = null;
    c.ws.on('message', () => {
      const e = c.events[c.events.length - 1] as JobEvent | undefined;
      if (!e || e.jobId !== 'big') return;
      const key = `${e.method}:${e.stage}`;
      if (!order.includes(key)) order.push(key);
      // the transformer's refinement has begun: the engine is asked for its info now
      if (key === 'transformer:texturing' && !asked) asked = c.call('info', []).then((m) => (order.push('info answered'), m));
    });
    await c.call('fill', [largeFill(), 'big']);
    const end = await c.ended('big');
    expect(end.stage).toBe('finished');
    expect(asked).not.toBeNull();
    const reply = (await asked!) as RpcMessage & { t: 'result' };
    expect(reply.t).toBe('result');
    // answered while the refinement ran, not after it
    expect(order.indexOf('info answered')).toBeLessThan(order.indexOf('transformer:done'));
    // the transformer's model stages began before VQ-DDM's refinement ended
    expect(order.indexOf('transformer:encoding')).toBeLessThan(order.indexOf('vqddm:done'));
    c.ws.close();
  });
});
