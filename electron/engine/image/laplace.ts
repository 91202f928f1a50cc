/**
 * Harmonic (Laplace) interpolation: the unknown pixels of an image take values whose discrete Laplacian is
 * zero, the known pixels held fixed (a Dirichlet problem on the mask). Used by the seamless blend (the
 * decoder's error carried into the hole) and colour anchoring (a smooth continuation of the border's
 * colours, at the photo's full resolution).
 *
 * Solved by geometric multigrid: V-cycles of Gauss-Seidel smoothing on a hierarchy of grids halved down to
 * ~16 px, the residual restricted by 2x2 sums (the coarse grid's spacing is twice the fine one's, so its
 * unit-stencil equation takes 4x the mean residual) and the coarse correction interpolated bilinearly. Each
 * cycle cuts the error by a roughly constant factor whatever the hole's size, where plain relaxation needs
 * a number of sweeps that grows with it: on a 632 px region with a 316 px hole, over-relaxed sweeps from a
 * coarse-to-fine start stopped 42 8-bit levels from the solution in 0.53 s, and 3 levels away at 0.77 s.
 * The cycles start from the solution one grid coarser (full multigrid, `coarseStart`): on a 632 px region
 * with a 316 px hole and harmonic boundary data, 175 -> 60 ms and a third of the error. Sweeps visit
 * precomputed lists of the unknown pixels (interior ones, with four neighbours, apart from
 * those on the grid's edge), so a small hole in a large region costs what the hole costs.
 */

interface Level {
  w: number;
  h: number;
  unknown: Uint8Array;
  /** Unknown pixels with all four neighbours inside the grid, and the others. */
  inside: Int32Array;
  onEdge: Int32Array;
}

function level(unknown: Uint8Array, w: number, h: number): Level {
  let inner = 0;
  let count = 0;
  for (let i = 0; i < w * h; i++) {
    if (!unknown[i]) continue;
    count++;
    const u = i % w;
    const v = (i - u) / w;
    if (u > 0 && u < w - 1 && v > 0 && v < h - 1) inner++;
  }
  const inside = new Int32Array(inner);
  const onEdge = new Int32Array(count - inner);
  let a = 0;
  let b = 0;
  for (let i = 0; i < w * h; i++) {
    if (!unknown[i]) continue;
    const u = i % w;
    const v = (i - u) / w;
    if (u > 0 && u < w - 1 && v > 0 && v < h - 1) inside[a++] = i;
    else onEdge[b++] = i;
  }
  return { w, h, unknown, inside, onEdge };
}

/**
 * The grids, finest first: a coarse pixel is unknown when all of its 2x2 fine pixels are, so each coarse
 * hole lies inside the fine one (marking it unknown when any is made the cycles diverge on holes of 300 px
 * and more: the coarse corrections overshoot along the border, more at every level). An odd width or height
 * rounds up: the last coarse column (row) covers the fine grid's last column (row) alone. Rounding down
 * dropped it, and with it the known pixels a hole reaching it is bounded by there: the coarse hole then
 * touched the grid's edge, where the equation has no boundary value, and the cycles diverged (a 75 x 114
 * box 3 px from the edge of a 275 px photo filled with NaN).
 */
function hierarchy(unknown: Uint8Array, w: number, h: number): Level[] {
  const levels = [level(unknown, w, h)];
  for (;;) {
    const f = levels[levels.length - 1];
    if (f.w < 32 || f.h < 32 || f.inside.length + f.onEdge.length === 0) return levels;
    const w2 = (f.w + 1) >> 1;
    const h2 = (f.h + 1) >> 1;
    const cu = new Uint8Array(w2 * h2);
    for (let v = 0; v < h2; v++) {
      for (let u = 0; u < w2; u++) {
        let all = 1;
        for (let y = 2 * v; y <= Math.min(2 * v + 1, f.h - 1); y++) for (let x = 2 * u; x <= Math.min(2 * u + 1, f.w - 1); x++) all &= f.unknown[y * f.w + x];
        cu[v * w2 + u] = all;
      }
    }
    levels.push(level(cu, w2, h2));
  }
}

/** How many of pixel (u, v)'s four neighbours lie inside the w x h grid. */
function neighbours(u: number, v: number, w: number, h: number): number {
  return (u > 0 ? 1 : 0) + (u < w - 1 ? 1 : 0) + (v > 0 ? 1 : 0) + (v < h - 1 ? 1 : 0);
}

/** The sum of x over those neighbours of the pixel at index i = (u, v) (in its channel's plane). */
function edgeSum(x: Float32Array, i: number, u: number, v: number, w: number, h: number): number {
  return (u > 0 ? x[i - 1] : 0) + (u < w - 1 ? x[i + 1] : 0) + (v > 0 ? x[i - w] : 0) + (v < h - 1 ? x[i + w] : 0);
}

/**
 * Gauss-Seidel sweeps (over-relaxed by `omega`) on A x = r over the unknown pixels of each channel, where
 * (A x)_i = k_i x_i - sum of x over i's k_i neighbours in the grid; other pixels of x stay as they are.
 * Returns the largest change of the last sweep.
 */
function sweep(x: Float32Array, r: Float32Array | null, L: Level, channels: number, sweeps: number, omega: number): number {
  const { w, h, inside, onEdge } = L;
  const n = w * h;
  let change = 0;
  for (let s = 0; s < sweeps; s++) {
    change = 0;
    for (let c = 0; c < channels; c++) {
      const o = c * n;
      for (let j = 0; j < inside.length; j++) {
        const i = o + inside[j];
        const step = omega * (0.25 * (x[i - 1] + x[i + 1] + x[i - w] + x[i + w] + (r ? r[i] : 0)) - x[i]);
        x[i] += step;
        if (step > change) change = step;
        else if (-step > change) change = -step;
      }
      for (let j = 0; j < onEdge.length; j++) {
        const p = onEdge[j];
        const u = p % w;
        const v = (p - u) / w;
        const i = o + p;
        const k = neighbours(u, v, w, h);
        if (k === 0) continue;
        const step = omega * (((r ? r[i] : 0) + edgeSum(x, i, u, v, w, h)) / k - x[i]);
        x[i] += step;
        change = Math.max(change, Math.abs(step));
      }
    }
  }
  return change;
}

/** r - A x on the unknown pixels (0 elsewhere); r null means 0. */
function residual(x: Float32Array, r: Float32Array | null, L: Level, channels: number): Float32Array {
  const { w, h, inside, onEdge } = L;
  const n = w * h;
  const out = new Float32Array(channels * n);
  for (let c = 0; c < channels; c++) {
    const o = c * n;
    for (let j = 0; j < inside.length; j++) {
      const i = o + inside[j];
      out[i] = (r ? r[i] : 0) + x[i - 1] + x[i + 1] + x[i - w] + x[i + w] - 4 * x[i];
    }
    for (let j = 0; j < onEdge.length; j++) {
      const p = onEdge[j];
      const u = p % w;
      const v = (p - u) / w;
      const i = o + p;
      out[i] = (r ? r[i] : 0) + edgeSum(x, i, u, v, w, h) - neighbours(u, v, w, h) * x[i];
    }
  }
  return out;
}

/**
 * Bilinear interpolation of the coarse grid's values `coarse` [channels, C.h, C.w] at the centres of the
 * fine grid's unknown pixels, added to `fine` [channels, F.h, F.w] (a correction) or written over it.
 */
function prolong(coarse: Float32Array, C: Level, fine: Float32Array, F: Level, channels: number, add: boolean): void {
  const n = F.w * F.h;
  const nc = C.w * C.h;
  for (let v = 0; v < F.h; v++) {
    // a fine pixel's centre in coarse coordinates: (v + 0.5) / 2 - 0.5
    const y = Math.min(C.h - 1, Math.max(0, (v - 0.5) / 2));
    const y0 = Math.floor(y);
    const y1 = Math.min(C.h - 1, y0 + 1);
    const fy = y - y0;
    for (let u = 0; u < F.w; u++) {
      if (!F.unknown[v * F.w + u]) continue;
      const x = Math.min(C.w - 1, Math.max(0, (u - 0.5) / 2));
      const x0 = Math.floor(x);
      const x1 = Math.min(C.w - 1, x0 + 1);
      const fx = x - x0;
      for (let c = 0; c < channels; c++) {
        const o = c * nc;
        const top = coarse[o + y0 * C.w + x0] * (1 - fx) + coarse[o + y0 * C.w + x1] * fx;
        const bottom = coarse[o + y1 * C.w + x0] * (1 - fx) + coarse[o + y1 * C.w + x1] * fx;
        const i = c * n + v * F.w + u;
        fine[i] = (add ? fine[i] : 0) + top * (1 - fy) + bottom * fy;
      }
    }
  }
}

/**
 * Over-relaxation of the V-cycle's Gauss-Seidel smoothing (2 sweeps before and after the coarse
 * correction). A coarse pixel is unknown only when all four it covers are, so the coarse grids miss the
 * hole's outermost pixels and the error there decays by smoothing alone: over-relaxed, it decays faster. On a
 * 700 x 500 box in a 1280 x 960 photo, to the default tolerance: 1 065 ms at 1 (max error 0.024 8-bit
 * levels), 570 ms at 1.4 (0.009), 488 ms at 1.5 (0.013); on eight 13 px strokes across it 303, 249 and
 * 283 ms; on a 120 x 80 box about the same (105-118 ms). 1.4: the best on strokes and a third of the error.
 */
const SMOOTH_OMEGA = 1.4;

/** One V-cycle from level `l` for A e = r (e zero on known pixels); returns e. */
function vcycle(r: Float32Array, levels: Level[], l: number, channels: number): Float32Array {
  const L = levels[l];
  const e = new Float32Array(channels * L.w * L.h);
  if (l === levels.length - 1) {
    // the coarsest grid (~16-31 px): relax to convergence, over-relaxed
    for (let s = 0; s < 400; s++) if (sweep(e, r, L, channels, 1, 1.8) < 1e-6) break;
    return e;
  }
  sweep(e, r, L, channels, 2, SMOOTH_OMEGA);
  const res = residual(e, r, L, channels);
  const C = levels[l + 1];
  const n = L.w * L.h;
  const nc = C.w * C.h;
  const rc = new Float32Array(channels * nc);
  for (let v = 0; v < C.h; v++) {
    for (let u = 0; u < C.w; u++) {
      if (!C.unknown[v * C.w + u]) continue;
      // 4x the mean residual of the fine pixels it covers (their sum for a full 2 x 2 block)
      let count = 0;
      for (let y = 2 * v; y <= Math.min(2 * v + 1, L.h - 1); y++) {
        for (let x = 2 * u; x <= Math.min(2 * u + 1, L.w - 1); x++) {
          count++;
          for (let c = 0; c < channels; c++) rc[c * nc + v * C.w + u] += res[c * n + y * L.w + x];
        }
      }
      if (count < 4) for (let c = 0; c < channels; c++) rc[c * nc + v * C.w + u] *= 4 / count;
    }
  }
  const ec = vcycle(rc, levels, l + 1, channels);
  prolong(ec, C, e, L, channels, true);
  sweep(e, r, L, channels, 2, SMOOTH_OMEGA);
  return e;
}

/**
 * The starting guess (full multigrid): the same problem solved on the grid one level coarser, its known
 * pixels the means of their known fine pixels, then interpolated bilinearly into the fine hole. The V-cycles
 * then start from an error about the discretisation's instead of the hole's whole contrast: on a 316 px
 * hole with noisy boundary data, 8 cycles from the known pixels' mean, 5 from this start.
 */
function coarseStart(d: Float32Array, channels: number, levels: Level[], l: number, tolerance: number, maxCycles: number): void {
  const F = levels[l];
  const C = levels[l + 1];
  const n = F.w * F.h;
  const nc = C.w * C.h;
  const dc = new Float32Array(channels * nc);
  for (let v = 0; v < C.h; v++) {
    for (let u = 0; u < C.w; u++) {
      if (C.unknown[v * C.w + u]) continue;
      let known = 0; // at least 1: the coarse pixel is unknown only when all it covers are
      for (let y = 2 * v; y <= Math.min(2 * v + 1, F.h - 1); y++) {
        for (let x = 2 * u; x <= Math.min(2 * u + 1, F.w - 1); x++) {
          if (F.unknown[y * F.w + x]) continue;
          known++;
          for (let c = 0; c < channels; c++) dc[c * nc + v * C.w + u] += d[c * n + y * F.w + x];
        }
      }
      for (let c = 0; c < channels; c++) dc[c * nc + v * C.w + u] /= known;
    }
  }
  solve(dc, channels, levels, l + 1, tolerance, maxCycles);
  prolong(dc, C, d, F, channels, false);
}

/**
 * Fills the unknown pixels of `channels` planar channels (d is [channels, h, w]) with the harmonic
 * interpolation of the known ones, in place, to within `tolerance` (in d's units; the default is a
 * sixteenth of an 8-bit level for values in [-1, 1]). Returns false, changing nothing, when no pixel is
 * known.
 */
export function harmonicFill(d: Float32Array, channels: number, unknown: Uint8Array, w: number, h: number, tolerance = 5e-4, maxCycles = 30): boolean {
  return solve(d, channels, hierarchy(unknown, w, h), 0, tolerance, maxCycles);
}

/**
 * `harmonicFill` on grid `l` of the hierarchy (d is [channels, h, w] of that grid), the coarser grids taken
 * from the same hierarchy: the full-multigrid start solves on grid l + 1 without building them again.
 */
function solve(d: Float32Array, channels: number, levels: Level[], l: number, tolerance: number, maxCycles: number): boolean {
  const L = levels[l];
  const n = L.w * L.h;
  let known = 0;
  for (let i = 0; i < n; i++) if (!L.unknown[i]) known++;
  if (known === 0) return false;
  if (l === levels.length - 1) {
    // the coarsest (or only) grid: from the known pixels' mean, relaxation alone converges quickly
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let i = 0; i < n; i++) if (!L.unknown[i]) sum += d[c * n + i];
      for (let i = 0; i < n; i++) if (L.unknown[i]) d[c * n + i] = sum / known;
    }
    for (let s = 0; s < 2000; s++) if (sweep(d, null, L, channels, 1, 1.8) < tolerance / 10) break;
    return true;
  }
  coarseStart(d, channels, levels, l, tolerance, maxCycles);
  for (let cycle = 0; cycle < maxCycles; cycle++) {
    const e = vcycle(residual(d, null, L, channels), levels, l, channels);
    let largest = 0;
    for (let i = 0; i < e.length; i++) {
      d[i] += e[i];
      if (Math.abs(e[i]) > largest) largest = Math.abs(e[i]);
    }
    if (largest < tolerance) break;
  }
  return true;
}
