/**
 * Posteriors of the uniform-transition discrete diffusion (docs/METHOD.md eq. 20-21 and the exact skip-step
 * form), for one latent cell at a time. Pure functions over typed arrays; float64 arithmetic.
 *
 * With a = abar_t / abar_s (s < t):
 *   q(z_s | z_t, z_0) = N[ (a z_t + (1 - a)/K) (.) (abar_s z_0 + (1 - abar_s)/K) ]
 * The model's p(z_s | z_t) plugs its soft p(z_0 | z_t) in place of the one-hot z_0.
 */

/**
 * Writes p(z_s | z_t) for one cell into `out` (length K, sums to 1).
 *
 * theta_k = first_k * second_k with first_k = a [k = z_t] + (1 - a)/K (two distinct values) and
 * second_k = abar_s p0_k + (1 - abar_s)/K. The model's log p0 is exponentiated once per class; every factor
 * is a mixture with a positive floor (or p0 itself at s = 0, where an underflow to 0 is the right answer),
 * so the product is exact in float64 without a log-sum-exp, at one exp per class: this runs for every
 * unknown cell at every step, and a log-space version (three transcendentals per class) cost as much as
 * the network itself.
 * @param logP0 log p(z_0 | z_t) for this cell: K values starting at `offset` (already tempered/truncated).
 * @param zt the cell's current code.
 * @param abarT abar at t; @param abarS abar at s (abar_0 = 1 gives the last step).
 */
export function posteriorFromLogP0(
  logP0: ArrayLike<number>,
  offset: number,
  K: number,
  zt: number,
  abarT: number,
  abarS: number,
  out: Float64Array,
): Float64Array {
  const sum = posteriorWeights(logP0, offset, K, zt, abarT, abarS, out);
  for (let k = 0; k < K; k++) out[k] /= sum;
  return out;
}

/** theta_k of `posteriorFromLogP0` before normalisation, into `out`; returns their sum. */
function posteriorWeights(logP0: ArrayLike<number>, offset: number, K: number, zt: number, abarT: number, abarS: number, out: Float64Array): number {
  const a = abarT / abarS;
  const hit = a + (1 - a) / K;
  const miss = (1 - a) / K;
  const floor = (1 - abarS) / K;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const v = (abarS * Math.exp(logP0[offset + k]) + floor) * (k === zt ? hit : miss);
    out[k] = v;
    sum += v;
  }
  return sum;
}

/**
 * A draw from p(z_s | z_t) (as `posteriorFromLogP0`) for a uniform `u` in [0, 1), fused: the weights are
 * not normalised, `u` is scaled by their sum instead (two passes over the K classes instead of four; this
 * runs for every unknown cell at every step). `weights` is scratch of length K.
 */
export function drawPosterior(logP0: ArrayLike<number>, offset: number, K: number, zt: number, abarT: number, abarS: number, u: number, weights: Float64Array): number {
  let target = u * posteriorWeights(logP0, offset, K, zt, abarT, abarS, weights);
  for (let k = 0; k < K; k++) {
    target -= weights[k];
    if (target < 0) return k;
  }
  for (let k = K - 1; k >= 0; k--) if (weights[k] > 0) return k; // rounding left a sliver
  return K - 1;
}

/** The exact posterior q(z_s | z_t, z_0) with a one-hot z_0 (used by tests and the loss). */
export function posteriorFromZ0(z0: number, K: number, zt: number, abarT: number, abarS: number, out: Float64Array): Float64Array {
  const logOneHot = new Float64Array(K).fill(-Infinity);
  logOneHot[z0] = 0;
  return posteriorFromLogP0(logOneHot, 0, K, zt, abarT, abarS, out);
}

/** q(z_t | z_0) = abar_t z_0 + (1 - abar_t)/K, written into `out`. */
export function forwardMarginal(z0: number, K: number, abarT: number, out: Float64Array): Float64Array {
  out.fill((1 - abarT) / K);
  out[z0] += abarT;
  return out;
}

/**
 * Applies temperature and truncation to one cell's log p(z_0 | z_t) (K values at `offset`, normalised: the
 * network's log-softmax) into `out`, renormalised in log space. Truncation r keeps the smallest set of most
 * likely classes whose mass reaches r.
 */
export function temperLogP0(
  logP0: ArrayLike<number>,
  offset: number,
  K: number,
  temperature: number,
  truncation: number,
  out: Float64Array,
  scratch: Uint32Array,
): Float64Array {
  if (temperature === 1) {
    // already normalised (the network's output is a log-softmax): K exps fewer per cell and step
    for (let k = 0; k < K; k++) out[k] = logP0[offset + k];
  } else {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = logP0[offset + k] / temperature;
      out[k] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(out[k] - max);
    const logZ = max + Math.log(sum);
    for (let k = 0; k < K; k++) out[k] -= logZ;
  }
  if (truncation >= 1) return out;

  // The kept classes are the first ones in the order (log p descending, index ascending). At small r they are
  // a handful: picking them one at a time (K reads each) costs a fraction of sorting all K classes for every
  // unknown cell at every step; a flat distribution that needs more than SELECTED_MAX falls back to the sort.
  let mass = 0;
  let lastV = Infinity;
  let lastK = -1;
  for (let picked = 0; picked < SELECTED_MAX && mass < truncation; picked++) {
    let bestV = -Infinity;
    let bestK = -1;
    for (let k = 0; k < K; k++) {
      const v = out[k];
      if ((v < lastV || (v === lastV && k > lastK)) && v > bestV) {
        bestV = v;
        bestK = k;
      }
    }
    if (bestK < 0) break;
    mass += Math.exp(bestV);
    lastV = bestV;
    lastK = bestK;
  }
  if (mass >= truncation) {
    const logMass = Math.log(mass);
    for (let k = 0; k < K; k++) out[k] = out[k] > lastV || (out[k] === lastV && k <= lastK) ? out[k] - logMass : -Infinity;
    return out;
  }
  return truncateSorted(out, K, truncation, scratch);
}

/** Classes picked one at a time before `temperLogP0` sorts instead. */
const SELECTED_MAX = 16;

/** Truncation by a full sort (`temperLogP0`'s path for flat distributions). */
function truncateSorted(out: Float64Array, K: number, truncation: number, scratch: Uint32Array): Float64Array {
  for (let k = 0; k < K; k++) scratch[k] = k;
  const order = scratch.subarray(0, K).sort((i, j) => out[j] - out[i]);
  let mass = 0;
  let kept = 0;
  while (kept < K && mass < truncation) mass += Math.exp(out[order[kept++]]);
  for (let i = kept; i < K; i++) out[order[i]] = -Infinity;
  const logMass = Math.log(mass);
  for (let i = 0; i < kept; i++) out[order[i]] -= logMass;
  return out;
}

/** KL(q || p) in nats for two distributions over K classes. */
export function klDivergence(q: ArrayLike<number>, p: ArrayLike<number>, K: number): number {
  let kl = 0;
  for (let k = 0; k < K; k++) {
    if (q[k] > 0) kl += q[k] * (Math.log(q[k]) - Math.log(p[k]));
  }
  return kl;
}
