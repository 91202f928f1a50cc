/**
 * The engine's diffusion maths against the training code's: tests/fixtures/diffusion-parity.json is written by
 * models/training/tests/test_diffusion_parity.py (which fails when the file is not what Python computes now);
 * here the TypeScript schedule, q(z_t | z_0), posterior and ELBO terms must give the same numbers (1e-6 relative).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forwardMarginal, klDivergence, posteriorFromLogP0, posteriorFromZ0 } from '../../electron/engine/math/posterior.js';
import { cosineSchedule, type ScheduleParams } from '../../electron/engine/math/schedule.js';

interface Vectors {
  schedules: { T: number; params: ScheduleParams; alpha: number[]; abar: number[] }[];
  cases: {
    schedule: number; K: number; t: number; zt: number; p0: number[]; posterior: number[];
    z0?: number; q_t_given_0?: number[]; model_p0?: number[]; loss_t?: number; loss_prior?: number;
  }[];
}

const vectors: Vectors = JSON.parse(readFileSync(new URL('../fixtures/diffusion-parity.json', import.meta.url), 'utf8'));
const RTOL = 1e-6;

/** Every value within RTOL of the expected one, relative to the larger of the two (zeros must be exact). */
function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (!(Math.abs(a - b) <= RTOL * Math.max(Math.abs(a), Math.abs(b)))) bad.push(`[${i}] ${a} vs ${b}`);
  }
  expect(bad, `${label}: TypeScript vs Python (${bad.length} of ${want.length} differ)`).toEqual([]);
}

const logOf = (p: number[]) => Float64Array.from(p, Math.log);

describe('diffusion maths: TypeScript engine = Python training code', () => {
  it('has vectors to compare', () => {
    expect(vectors.schedules.length).toBeGreaterThanOrEqual(3);
    expect(vectors.cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const [i, s] of vectors.schedules.entries()) {
    it(`schedule ${i}: T = ${s.T}, ${JSON.stringify(s.params)}`, () => {
      const { alpha, abar } = cosineSchedule(s.T, s.params);
      expectClose('alpha', alpha.subarray(1), s.alpha);
      expectClose('abar', abar, s.abar);
    });
  }

  for (const [i, c] of vectors.cases.entries()) {
    const name = `case ${i}: K = ${c.K}, t = ${c.t}, z_t = ${c.zt}, ${c.z0 === undefined ? 'soft p0' : `z_0 = ${c.z0}`}`;
    it(name, () => {
      const s = vectors.schedules[c.schedule];
      const { abar } = cosineSchedule(s.T, s.params);
      const K = c.K;
      // q(z_{t-1} | z_t, p0): the sampler's step with s = t - 1
      const post = posteriorFromLogP0(logOf(c.p0), 0, K, c.zt, abar[c.t], abar[c.t - 1], new Float64Array(K));
      expectClose('posterior', post, c.posterior);
      if (c.z0 === undefined) return;
      expectClose('posterior (one-hot z_0)', posteriorFromZ0(c.z0, K, c.zt, abar[c.t], abar[c.t - 1], new Float64Array(K)), c.posterior);
      expectClose('q(z_t | z_0)', forwardMarginal(c.z0, K, abar[c.t], new Float64Array(K)), c.q_t_given_0!);
      // the ELBO terms with the model's soft p0: KL of the posteriors for t >= 2, -log p(z_0 | z_1) at t = 1
      const model = posteriorFromLogP0(logOf(c.model_p0!), 0, K, c.zt, abar[c.t], abar[c.t - 1], new Float64Array(K));
      const lt = c.t === 1 ? -Math.log(model[c.z0]) : klDivergence(post, model, K);
      expectClose('L_t', [lt], [c.loss_t!]);
      const uniform = new Float64Array(K).fill(1 / K);
      const prior = klDivergence(forwardMarginal(c.z0, K, abar[s.T], new Float64Array(K)), uniform, K);
      expectClose('prior KL', [prior], [c.loss_prior!]);
    });
  }
});
