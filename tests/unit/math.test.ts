import { describe, expect, it } from 'vitest';
import { drawPosterior, forwardMarginal, klDivergence, posteriorFromLogP0, posteriorFromZ0, temperLogP0 } from '../../electron/engine/math/posterior.js';
import { Rng, sampleCategorical } from '../../electron/engine/math/rng.js';
import { cosineSchedule, timeSequence } from '../../electron/engine/math/schedule.js';

const params = { kind: 'cosine' as const, s: 0.008, alphaClipMin: 0.001, sqrtAlpha: true };

describe('cosine schedule', () => {
  it('matches hand-computed values (T = 4)', () => {
    const { alpha, abar } = cosineSchedule(4, params);
    // g(u) = cos(((u/4 + s)/(1 + s)) pi/2)^2, alpha_t = sqrt(clip(g(t)/g(t-1), 0.001, 1))
    expect(alpha[1]).toBeCloseTo(0.9203326362391506, 12);
    expect(alpha[2]).toBeCloseTo(0.7635718122665384, 12);
    expect(alpha[3]).toBeCloseTo(0.5405009598537607, 12);
    // g(4) = 0: the ratio is clipped to 0.001, so alpha_4 = sqrt(0.001)
    expect(alpha[4]).toBeCloseTo(Math.sqrt(0.001), 12);
    expect(abar[4]).toBeCloseTo(0.012011332248578248, 12);
    expect(abar[0]).toBe(1);
  });

  it('without the square root abar follows g(t)/g(0) until the clip', () => {
    const { abar } = cosineSchedule(100, { ...params, sqrtAlpha: false });
    const g = (u: number) => Math.cos(((u / 100 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(abar[50]).toBeCloseTo(g(50) / g(0), 10);
  });

  it('decreases monotonically', () => {
    const { abar } = cosineSchedule(200, params);
    for (let t = 1; t <= 200; t++) expect(abar[t]).toBeLessThanOrEqual(abar[t - 1]);
  });

  it('time sequences start at T, end at 0 and strictly decrease', () => {
    expect(timeSequence(10, 10)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(timeSequence(200, 1)).toEqual([200, 0]);
    const seq = timeSequence(200, 7);
    expect(seq[0]).toBe(200);
    expect(seq.at(-1)).toBe(0);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeLessThan(seq[i - 1]);
    expect(() => timeSequence(10, 0)).toThrow(/steps must be/);
    expect(() => timeSequence(10, 11)).toThrow(/steps must be/);
  });
});

describe('posteriors', () => {
  it('matches a hand-computed skip-step posterior', () => {
    // K = 3, z_t = 0, z_0 = 1, abar_t = 0.5, abar_s = 0.8: a = 0.625
    // first = [0.75, 0.125, 0.125], second = [1/15, 13/15, 1/15] -> normalised [0.3, 0.65, 0.05]
    const out = posteriorFromZ0(1, 3, 0, 0.5, 0.8, new Float64Array(3));
    expect(out[0]).toBeCloseTo(0.3, 12);
    expect(out[1]).toBeCloseTo(0.65, 12);
    expect(out[2]).toBeCloseTo(0.05, 12);
  });

  it('rows sum to one for random model predictions', () => {
    const K = 16;
    const rng = new Rng(3);
    const { abar } = cosineSchedule(50, params);
    for (let trial = 0; trial < 50; trial++) {
      const logits = Array.from({ length: K }, () => rng.uniform() * 8 - 4);
      const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
      const logP0 = Float64Array.from(logits, (v) => v - lse);
      const t = 1 + rng.int(50);
      const s = rng.int(t);
      const out = posteriorFromLogP0(logP0, 0, K, rng.int(K), abar[t], abar[s], new Float64Array(K));
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const v of out) expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('draws from the posterior without normalising it: the same class as a draw from the normalised one', () => {
    const K = 64;
    const rng = new Rng(11);
    const { abar } = cosineSchedule(50, params);
    const counts = new Float64Array(K);
    let same = 0;
    const trials = 4000;
    const logits = Array.from({ length: K }, () => rng.uniform() * 8 - 4);
    const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
    const logP0 = Float64Array.from(logits, (v) => v - lse);
    const post = posteriorFromLogP0(logP0, 0, K, 5, abar[30], abar[20], new Float64Array(K));
    for (let trial = 0; trial < trials; trial++) {
      const u = rng.uniform();
      const k = drawPosterior(logP0, 0, K, 5, abar[30], abar[20], u, new Float64Array(K));
      if (k === sampleCategorical(post, 0, K, u)) same++;
      counts[k]++;
    }
    expect(same).toBeGreaterThanOrEqual(trials - 2); // a draw on a class boundary may round either way
    for (let k = 0; k < K; k++) expect(Math.abs(counts[k] / trials - post[k])).toBeLessThan(0.03);
  });

  it('s = t - 1 equals the one-step posterior q(z_{t-1} | z_t, z_0)', () => {
    const K = 5;
    const { alpha, abar } = cosineSchedule(20, params);
    for (const t of [2, 7, 20]) {
      const skip = posteriorFromZ0(3, K, 1, abar[t], abar[t - 1], new Float64Array(K));
      // one step: [alpha_t z_t + (1 - alpha_t)/K] (.) [abar_{t-1} z_0 + (1 - abar_{t-1})/K]
      const theta = Array.from({ length: K }, (_, k) => (alpha[t] * (k === 1 ? 1 : 0) + (1 - alpha[t]) / K) * (abar[t - 1] * (k === 3 ? 1 : 0) + (1 - abar[t - 1]) / K));
      const z = theta.reduce((a, b) => a + b, 0);
      theta.forEach((v, k) => expect(skip[k]).toBeCloseTo(v / z, 12));
    }
  });

  it('at t = 1 (s = 0) the one-hot z_0 posterior is z_0 itself', () => {
    const { abar } = cosineSchedule(10, params);
    const out = posteriorFromZ0(2, 4, 0, abar[1], abar[0], new Float64Array(4));
    expect(Array.from(out)).toEqual([0, 0, 1, 0]);
  });

  it('at t = T the forward marginal is nearly uniform', () => {
    const { abar } = cosineSchedule(100, params);
    const q = forwardMarginal(0, 8, abar[100], new Float64Array(8));
    expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(klDivergence(q, new Float64Array(8).fill(1 / 8), 8)).toBeLessThan(1e-3);
  });

  it('KL is zero for equal distributions and positive otherwise', () => {
    const p = Float64Array.from([0.2, 0.3, 0.5]);
    expect(klDivergence(p, p, 3)).toBeCloseTo(0, 12);
    // KL([1,0,0] || [0.5,0.25,0.25]) = log 2
    expect(klDivergence([1, 0, 0], [0.5, 0.25, 0.25], 3)).toBeCloseTo(Math.LN2, 12);
  });

  it('temperature and truncation renormalise in log space', () => {
    const logP0 = Float64Array.from([0.5, 0.3, 0.15, 0.05], Math.log);
    const out = temperLogP0(logP0, 0, 4, 1, 0.75, new Float64Array(4), new Uint32Array(4));
    // keeps 0.5 and 0.3 (mass 0.8 >= 0.75), renormalised
    expect(Math.exp(out[0])).toBeCloseTo(0.625, 12);
    expect(Math.exp(out[1])).toBeCloseTo(0.375, 12);
    expect(out[2]).toBe(-Infinity);
    const cold = temperLogP0(logP0, 0, 4, 0.5, 1, new Float64Array(4), new Uint32Array(4));
    const z = 0.25 + 0.09 + 0.0225 + 0.0025;
    expect(Math.exp(cold[0])).toBeCloseTo(0.25 / z, 12);
  });
  it('truncation keeps the most likely classes up to mass r, sharp or flat, ties by index', () => {
    // the reference: sort every class (log p descending, index ascending), keep the prefix that reaches r
    const reference = (logP: Float64Array, r: number): Float64Array => {
      const order = [...logP.keys()].sort((i, j) => logP[j] - logP[i] || i - j);
      let mass = 0;
      let kept = 0;
      while (kept < logP.length && mass < r) mass += Math.exp(logP[order[kept++]]);
      const out = new Float64Array(logP.length).fill(-Infinity);
      for (const k of order.slice(0, kept)) out[k] = logP[k] - Math.log(mass);
      return out;
    };
    const rng = new Rng(7);
    const K = 512;
    for (const spread of [12, 3, 0.2]) { // sharp (a few classes kept), medium, nearly flat (the sort's path)
      for (const r of [0.05, 0.3, 0.8, 0.99]) {
        const logits = Float64Array.from({ length: K }, () => spread * rng.uniform() ** 3);
        logits[5] = logits[300] = Math.max(...logits); // a tie at the top
        const z = Math.log(logits.reduce((a, v) => a + Math.exp(v), 0));
        const logP = logits.map((v) => v - z);
        const got = temperLogP0(logP, 0, K, 1, r, new Float64Array(K), new Uint32Array(K));
        const want = reference(logP, r);
        for (let k = 0; k < K; k++) {
          if (want[k] === -Infinity) expect(got[k], `class ${k}, spread ${spread}, r ${r}`).toBe(-Infinity);
          else expect(got[k]).toBeCloseTo(want[k], 10);
        }
      }
    }
  });
});

describe('rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.uint32())(new Rng(42)));
    const b = Array.from({ length: 5 }, ((r) => () => r.uint32())(new Rng(42)));
    const c = Array.from({ length: 5 }, ((r) => () => r.uint32())(new Rng(43)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('samples categorical frequencies', () => {
    const rng = new Rng(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[sampleCategorical([0.2, 0.5, 0.3], 0, 3, rng.uniform())]++;
    expect(counts[0] / 30000).toBeCloseTo(0.2, 1);
    expect(counts[1] / 30000).toBeCloseTo(0.5, 1);
    expect(sampleCategorical([0, 0, 1], 0, 3, 0.999999)).toBe(2);
  });
});
