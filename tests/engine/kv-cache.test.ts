import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { KvCache } from '../../electron/engine/ort/kvCache.js';
import { DEFAULT_PACK, TINY_PACK } from './helpers.js';

describe('KvCache', () => {
  // rows = 2, head_dim = 3: kv for n positions is [2, n, 3]
  const kv = (n: number, base: number) => Float32Array.from({ length: 2 * n * 3 }, (_, i) => base + i);

  it('takes a first call’s keys and values as its buffer, then grows once to the reserve and appends in place', () => {
    const first = kv(2, 100);
    const a = KvCache.empty(2, 3).append(first, 2, 5);
    expect(a.data).toBe(first);
    expect([a.length, a.capacity]).toEqual([2, 2]);
    const b = a.append(kv(1, 200), 1, 5);
    expect([b.length, b.capacity]).toEqual([3, 5]);
    // row 0: slots 0-1 from the first call, slot 2 the new one; row 1 likewise; slots 3-4 unused
    expect(Array.from(b.data.subarray(0, 9))).toEqual([100, 101, 102, 103, 104, 105, 200, 201, 202]);
    expect(Array.from(b.data.subarray(15, 24))).toEqual([106, 107, 108, 109, 110, 111, 203, 204, 205]);
    const c = b.append(kv(2, 300), 2, 5);
    expect(c).toBe(b); // it fitted: no copy
    expect(c.length).toBe(5);
    expect(Array.from(c.data.subarray(9, 15))).toEqual([300, 301, 302, 303, 304, 305]);
    expect(Array.from(c.data.subarray(24, 30))).toEqual([306, 307, 308, 309, 310, 311]);
  });

  it('grows past the reserve when more positions come than it holds', () => {
    const c = KvCache.empty(2, 3).append(kv(1, 0), 1, 2).append(kv(3, 10), 3, 2);
    expect([c.length, c.capacity]).toEqual([4, 4]);
  });

  it('refuses keys and values of the wrong size, naming both', () => {
    expect(() => KvCache.empty(2, 3).append(new Float32Array(5), 1, 4)).toThrow('the transformer returned 5 cache values for 1 positions, expected 6');
  });
});

describe.each([
  ['tiny', TINY_PACK],
  ['default', DEFAULT_PACK],
])('the %s pack’s transformer with the engine’s cache', (_name, dir) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open(dir, 'cpu');
  });
  afterAll(() => engine.dispose());

  it('gives, one token per call, the logits of one call on the whole sequence', async () => {
    const { startToken, context } = engine.manifest.transformer;
    const K = engine.manifest.K;
    const B = 2;
    const N = 40;
    // [B, N]: the start token, then codes
    const tokens = Int32Array.from({ length: B * N }, (_, i) => (i % N === 0 ? startToken : (i * 7919 + 13) % K));
    const whole = (await engine.models.transformerStep(tokens, B, N, null)).logits; // [B, N, K]
    // a prefix of 25 in one call, then one token per call through the cache
    const prefix = 25;
    const take = (from: number, to: number) => Int32Array.from({ length: B * (to - from) }, (_, i) => tokens[Math.floor(i / (to - from)) * N + from + (i % (to - from))]);
    let step = await engine.models.transformerStep(take(0, prefix), B, prefix, null);
    let worst = 0;
    let spread = 0;
    for (let n = prefix; n < N; n++) {
      step = await engine.models.transformerStep(take(n, n + 1), B, 1, step.present);
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < K; k++) {
          const want = whole[(b * N + n) * K + k];
          worst = Math.max(worst, Math.abs(step.logits[b * K + k] - want));
          spread = Math.max(spread, Math.abs(want - whole[(b * N + n - 1) * K + k]));
        }
      }
    }
    expect(step.present.length).toBe(N);
    expect(step.present.capacity).toBe(context);
    expect(spread).toBeGreaterThan(1e-3); // positions differ, so a cache fed wrongly would show
    expect(worst).toBeLessThan(spread * 1e-3);
  });
});
