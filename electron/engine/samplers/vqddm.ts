/**
 * VQ-DDM masked reverse diffusion (docs/METHOD.md, "Masked inpainting"). Unknown cells start uniform and follow
 * the model's p(z_s | z_t); known cells hold their true code at every step. An async generator: it yields
 * once per model call so the caller can report progress and cancel between calls.
 *
 * Why the known cells are not re-noised by q(z_s | z_0) (RePaint's way, and this sampler's until measured):
 * under uniform transitions a cell that kept its code is an ordinary state of z_t at any t, so clean context
 * is an input the network knows how to read, whereas re-noised context is nearly all noise in the first
 * steps (abar_T ~ 0.001), where the hole's layout is decided, and a large hole's layout then ignores its
 * surroundings. On the 84 validation cases (models/default/REPORT.md, "Known cells held") the raw fills
 * gained 1.2 dB (boxes 1.8, blobs 1.6, strokes 0.1) at no cost in time.
 */
import { drawPosterior, temperLogP0 } from '../math/posterior.js';
import { Rng } from '../math/rng.js';
import { timeSequence, type Schedule } from '../math/schedule.js';

/** log p(z_0 | z_t) for a batch: z_t [B, G, G] -> [B, G, G, K]. */
export type Denoiser = (zt: Int32Array, t: number, B: number, G: number) => Promise<Float32Array>;

export interface VqddmJob {
  /** Known codes per sample [B, G*G] (values at unknown cells are ignored). */
  known: Int32Array;
  /** 1 where the cell is regenerated [G*G], shared by all samples. */
  unknown: Uint8Array;
  B: number;
  G: number;
  K: number;
  schedule: Schedule;
  steps: number;
  temperature: number;
  truncation: number;
  /** One seed per sample, so sample b depends only on its own seed. */
  seeds: number[];
  /**
   * Partial noising (SDEdit-style, the detail pass): start at step `t` < T with the unknown cells drawn
   * from q(z_t | z_0 = codes) [B, G*G] instead of uniform, and run `steps` steps from t down to 0.
   */
  from?: { t: number; codes: Int32Array };
}

export interface StepProgress {
  step: number;
  total: number;
}

export async function* sampleVqddm(denoise: Denoiser, job: VqddmJob): AsyncGenerator<StepProgress, Int32Array> {
  const { B, G, K, schedule, known, unknown } = job;
  const cells = G * G;
  const rngs = job.seeds.map((s) => new Rng(s));
  const start = job.from?.t ?? schedule.T;
  const times = timeSequence(start, job.steps);
  const z = new Int32Array(B * cells);
  // z_start: unknown cells uniform (or from q(z_t | the given codes)); known cells their codes.
  for (let b = 0; b < B; b++) {
    const rng = rngs[b];
    for (let c = 0; c < cells; c++) {
      const i = b * cells + c;
      if (!unknown[c]) z[i] = known[i];
      else z[i] = job.from ? renoise(job.from.codes[i], schedule.abar[start], K, rng) : rng.int(K);
    }
  }
  const tempered = new Float64Array(K);
  const post = new Float64Array(K);
  const scratch = new Uint32Array(K);
  // The network's output is already a normalised log-softmax: tempering it at 1 and r = 1 is the identity.
  const plain = job.temperature === 1 && job.truncation >= 1;
  for (let n = 0; n < job.steps; n++) {
    const t = times[n];
    const s = times[n + 1];
    const logP0 = await denoise(z, t, B, G); // [B, G, G, K]
    const abarT = schedule.abar[t];
    const abarS = schedule.abar[s];
    for (let b = 0; b < B; b++) {
      const rng = rngs[b];
      for (let c = 0; c < cells; c++) {
        if (!unknown[c]) continue; // a known cell keeps its code
        const i = b * cells + c;
        z[i] = plain
          ? drawPosterior(logP0, i * K, K, z[i], abarT, abarS, rng.uniform(), post)
          : drawPosterior(temperLogP0(logP0, i * K, K, job.temperature, job.truncation, tempered, scratch), 0, K, z[i], abarT, abarS, rng.uniform(), post);
      }
    }
    yield { step: n + 1, total: job.steps };
  }
  return z;
}

/** A draw from q(z_s | z_0) = abar_s z_0 + (1 - abar_s)/K. */
function renoise(code: number, abar: number, K: number, rng: Rng): number {
  return rng.uniform() < abar ? code : rng.int(K);
}
