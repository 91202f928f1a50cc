import { describe, expect, it } from 'vitest';
import { sampleVqddm, type Denoiser } from '../../electron/engine/samplers/vqddm.js';
import { cosineSchedule } from '../../electron/engine/math/schedule.js';

const K = 16;
const G = 8;
const schedule = cosineSchedule(200, { kind: 'cosine', s: 0.008, alphaClipMin: 0.001, sqrtAlpha: true });

/** A stand-in network that records every z_t it is shown and predicts code `(cell + 3) % K` everywhere. */
function recorder() {
  const seen: { t: number; z: Int32Array }[] = [];
  const denoise: Denoiser = async (z, t, B, g) => {
    seen.push({ t, z: z.slice() });
    const out = new Float32Array(B * g * g * K).fill(-30);
    for (let i = 0; i < B * g * g; i++) out[i * K + ((i % (g * g)) + 3) % K] = 0;
    return out;
  };
  return { seen, denoise };
}

async function fill(steps: number, from?: { t: number; codes: Int32Array }) {
  const B = 2;
  const unknown = new Uint8Array(G * G);
  for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) unknown[y * G + x] = 1;
  const known = new Int32Array(B * G * G);
  for (let i = 0; i < known.length; i++) known[i] = (i * 7) % K;
  const { seen, denoise } = recorder();
  const gen = sampleVqddm(denoise, { known, unknown, B, G, K, schedule, steps, temperature: 1, truncation: 0.3, seeds: [4, 9], from });
  let next = await gen.next();
  while (!next.done) next = await gen.next();
  return { seen, known, unknown, codes: next.value, B };
}

describe('VQ-DDM masked reverse diffusion', () => {
  it('shows the network every known cell as its own code at every step, from t = T on', async () => {
    const { seen, known, unknown, B } = await fill(10);
    expect(seen.map((s) => s.t)[0]).toBe(200);
    expect(seen).toHaveLength(10);
    for (const { z } of seen) {
      for (let i = 0; i < B * G * G; i++) if (!unknown[i % (G * G)]) expect(z[i]).toBe(known[i]);
    }
  });

  it("draws the hole from the network's prediction and returns the known cells unchanged", async () => {
    const { codes, known, unknown, B } = await fill(10);
    for (let i = 0; i < B * G * G; i++) {
      const c = i % (G * G);
      expect(codes[i]).toBe(unknown[c] ? (c + 3) % K : known[i]);
    }
  });

  it('holds the known cells in a partial-noising run (the detail pass) too', async () => {
    const codes = new Int32Array(2 * G * G).fill(5);
    const { seen, known, unknown, B } = await fill(4, { t: 60, codes });
    expect(seen.map((s) => s.t)[0]).toBe(60);
    for (const { z } of seen) for (let i = 0; i < B * G * G; i++) if (!unknown[i % (G * G)]) expect(z[i]).toBe(known[i]);
  });
});
