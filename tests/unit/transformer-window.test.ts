import { describe, expect, it } from 'vitest';
import { sampleTransformer, type TransformerStep } from '../../electron/engine/samplers/transformer.js';

const K = 8;
const G = 32;
const g = 16;

/** A code no sample takes: the known grid holds it at unknown cells, so feeding one before it is sampled shows. */
const UNSAMPLED = K - 1;

/** A stand-in model whose cache is just its length; records every call's cache length and new tokens. */
function recorder() {
  const calls: { P: number; N: number; tokens: number[] }[] = [];
  const step: TransformerStep<number> = async (tokens, B, N, past) => {
    const P = past ?? 0;
    calls.push({ P, N, tokens: Array.from(tokens.subarray(0, N)) });
    const logits = new Float32Array(B * N * K);
    for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) logits[(b * N + n) * K + ((P + n) % UNSAMPLED)] = 10; // peaked: a valid code, never UNSAMPLED
    return { logits, present: P + N };
  };
  return { calls, step };
}

async function run(useCache: boolean) {
  const known = new Int32Array(2 * G * G);
  const unknown = new Uint8Array(G * G);
  for (let i = 8; i < 24; i++) for (let j = 4; j < 26; j++) unknown[i * G + j] = 1; // 16 rows x 22 columns
  for (let i = 0; i < known.length; i++) known[i] = unknown[i % (G * G)] ? UNSAMPLED : i % UNSAMPLED;
  const { calls, step } = recorder();
  const gen = sampleTransformer(step, { known, unknown, B: 2, G, K, trainedGrid: g, startToken: K, temperature: 1, topK: 0, seeds: [1, 2], useCache });
  let r = await gen.next();
  while (!r.done) r = await gen.next();
  return { z: r.value, calls, known, unknown };
}

describe('transformer on a grid larger than it was trained on', () => {
  it('keeps a window per block of rows and columns, cached inside it, never past the trained context, never fed an unsampled cell', async () => {
    const { z, calls, known, unknown } = await run(true);
    const sliding = await run(false);
    expect(calls.length).toBe(unknown.reduce((a, u) => a + u, 0)); // one call per unknown cell, as sliding
    expect(calls.length).toBe(sliding.calls.length);
    for (const c of calls) expect(c.P + c.N).toBeLessThanOrEqual(g * g + 1);
    // every window starts with the start token and an empty cache
    for (const c of calls) if (c.P === 0) expect(c.tokens[0]).toBe(K);
    const fed = (cs: typeof calls) => cs.reduce((a, c) => a + c.N, 0);
    expect(fed(calls)).toBeLessThan(fed(sliding.calls) / 10);
    for (const c of [...calls, ...sliding.calls]) expect(c.tokens.slice(1)).not.toContain(UNSAMPLED);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < G * G; i++) {
        if (!unknown[i]) expect(z[b * G * G + i]).toBe(known[b * G * G + i]);
        else expect(z[b * G * G + i]).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
