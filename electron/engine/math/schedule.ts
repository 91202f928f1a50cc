/**
 * The cosine noise schedule of the uniform-transition discrete diffusion (docs/METHOD.md, eq. 19), computed in
 * float64 from the parameters a model pack's manifest declares, so engine and training cannot disagree.
 */

export interface ScheduleParams {
  kind: 'cosine';
  /** Offset s of the cosine (0.008 in the reference code). */
  s: number;
  /** Lower clip of the per-step ratio g(t)/g(t-1). */
  alphaClipMin: number;
  /** Take the square root of the clipped ratio (reference code) or not (paper's text). */
  sqrtAlpha: boolean;
}

export interface Schedule {
  T: number;
  /** alpha[t] for t = 1..T; alpha[0] = 1. Length T + 1. */
  alpha: Float64Array;
  /** abar[t] = prod_{s<=t} alpha[s]; abar[0] = 1. Length T + 1. */
  abar: Float64Array;
}

export function cosineSchedule(T: number, p: ScheduleParams): Schedule {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`schedule: T must be a positive integer, got ${T}`);
  const g = (u: number) => Math.cos(((u / T + p.s) / (1 + p.s)) * (Math.PI / 2)) ** 2;
  const alpha = new Float64Array(T + 1);
  const abar = new Float64Array(T + 1);
  alpha[0] = 1;
  abar[0] = 1;
  for (let t = 1; t <= T; t++) {
    let a = Math.min(1, Math.max(p.alphaClipMin, g(t) / g(t - 1)));
    if (p.sqrtAlpha) a = Math.sqrt(a);
    alpha[t] = a;
    abar[t] = abar[t - 1] * a;
  }
  return { T, alpha, abar };
}

/**
 * The decreasing time sequence T = t_0 > t_1 > ... > t_n = 0 for `steps` reverse steps: evenly spaced,
 * always starting at T and ending at 0, every step strictly decreasing (exact step skipping).
 */
export function timeSequence(T: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new RangeError(`steps must be an integer from 1 to ${T}, got ${steps}`);
  }
  const seq: number[] = [];
  for (let i = 0; i <= steps; i++) seq.push(Math.round(T * (1 - i / steps)));
  return seq;
}
