/**
 * Straight edges carried across a hole at any angle, for the directional interpolation (directional.ts).
 *
 * Why: rows and columns carry a line across a hole only when it runs along them. A railing that crosses a
 * person brushed out of a canyon photo drops 15 px over the 370 px hole, more than its own thickness, so no
 * row has railing at both ends and the guide, then the fill, lost it; the two diagonals as well scored the
 * same on the validation photos and drew chance agreements as streaks. Here the edges that reach the hole
 * are found on its border (the structure tensor of the known pixels: strong and oriented), and two of them
 * are joined when each points at the other along the straight segment between them, the segment runs
 * through the hole, the profiles across the edge at its two ends have the same shape (and one is the other
 * under some change of light), it runs on straight outside the hole, and no other edge on the other side
 * lines up as well (Sun et al., "Image Completion with Structure Propagation", SIGGRAPH 2005, join
 * structure curves across a hole; here only straight ones, found without a user). Along each joined segment the profile is
 * interpolated linearly from one end to the other, in a band of PROFILE_R px each side, as weighted
 * estimates that the directional interpolation adds to its own. On the validation photos (84 box, blob and
 * stroke cases, VQ-DDM, every stage; models/default/REPORT.md) 20.73 -> 20.91 dB, every mask kind higher.
 */
import { gaussianBlur } from './blur.js';
import { touchesHole } from './composite.js';
import type { Box } from '../../shared/regions.js';

/** Blur of the known pixels that edges and profiles are read from (the photo's grain is not an edge), px. */
const SOFT_SIGMA = 1.5;
/** The hole's normal at a border pixel is read within this distance, px. */
const NORMAL_R = 3;
/** Half-size of the window of the structure tensor for a border pixel, and its centre's distance outside the hole, px. */
const TENSOR_R = 5;
const TENSOR_OFFSET = 6;
/**
 * An edge pixel's mean squared gradient of grey ([-1, 1] units per px) must reach this: a step of about 25
 * levels of 255 across the window, blurred by SOFT_SIGMA.
 */
const MIN_STRENGTH = 0.0008;
/** And its coherence, (l1 - l2) / (l1 + l2) of the tensor's eigenvalues: one orientation, not a corner or texture. */
const MIN_COHERENCE = 0.6;
/** The edge must enter the hole: |cos| of its angle to the hole's inward normal at least this. */
const MIN_ENTRY = 0.35;
/** Of the edge pixels along the border, only the strongest within this distance is an edge's end, px. */
const SUPPRESS_R = 4;
/**
 * Each end's edge direction within this angle of the segment joining them (cos of 8 degrees). On the
 * validation photos 6, 8 and 12 degrees scored 20.90, 20.91 and 20.88 dB.
 */
const MIN_ALIGN = Math.cos((8 * Math.PI) / 180);
/** Segments shorter than this are left to the other interpolations, px. */
const MIN_LENGTH = 12;
/** Share of a segment's pixels (its ends aside) that must lie in the hole. */
const MIN_INSIDE = 0.9;
/** Profiles are read this far outside the hole along the segment, px: at the border the blur sees the hole. */
const PROFILE_OUT = 2;
/** Or further out, up to this far, where a border that slants across the edge puts the nearer samples in the hole, px. */
const PROFILE_OUT_MAX = 10;
/**
 * And again CONTINUE_PX further out, where they must correlate as well (MIN_CORRELATION): the edge goes on
 * straight along the segment outside the hole, at both ends. The edges' own orientations alone let a pair
 * through whose segment met one of them at its thickness' angle.
 */
const CONTINUE_PX = 8;
/** Half-width of the profile across an edge and of the band it is carried in, px. */
const PROFILE_R = 6;
/** One end's profile may sit this many px to one side of the other's, px. */
const MAX_SHIFT = 3;
/**
 * Two ends' profiles are joined when their shapes correlate at least this much (the mean of each removed):
 * the colours themselves may differ, a railing olive in the shade at one end and orange in the sun at the
 * other, and are interpolated along the line. On the validation photos (84 cases, models/default/REPORT.md)
 * 0.7 and 0.8 scored alike (20.91 dB); at 0.8 that railing, thinner at one end, was not joined (0.77).
 */
const MIN_CORRELATION = 0.7;
/**
 * How much of one end's profile variance the other's, under the best gains, may leave unexplained (a loose
 * bound: the gains must not be badly wrong). On the validation photos (models/default/REPORT.md) 2 kept
 * 20.91 dB and removed the kite's streak (that case 20.25 -> 20.59 dB); 0.5 lost birch trunks and a
 * pavement's edge across blobs (20.89 dB); at 4 the kite's edges were joined again.
 */
const MAX_UNEXPLAINED = 2;
/**
 * Weight of a line's estimate at its centre, per unit of correlation, against a row or column whose ends
 * agree fully at 1 px from the nearer one: it decides along its band deep in the hole, and the learned
 * fill and the known pixels beside the border. 0.5, 1 and 2 scored alike on the validation photos (20.90,
 * 20.91, 20.91 dB), as did a band of 8 px instead of 6 (20.90).
 */
const LINE_WEIGHT = 1;
/**
 * An end is ambiguous, and joined to none, when an edge it lines up with matches within RIVAL_MARGIN as well
 * as its best and lies more than AMBIGUOUS_PX from it: another feature, not the same one's other side.
 */
const RIVAL_MARGIN = 0.1;
const AMBIGUOUS_PX = PROFILE_R + MAX_SHIFT;
/** At most this many lines per hole: the strongest matches first. */
const MAX_LINES = 24;

/** A weighted estimate over the hole's box: [4, bh, bw], the sums of weight x RGB, then of the weights. */
export type LineSums = Float32Array;

interface EdgeEnd {
  x: number;
  y: number;
  /** Unit edge direction, pointing into the hole. */
  ex: number;
  ey: number;
  strength: number;
}

/**
 * The soft known image over a window, read many times over (each border pixel's tensor window overlaps its
 * neighbours'), so normalised once: its colours, weights and grey gradients per window pixel.
 */
interface Soft {
  win: Box;
  ww: number;
  /** Colours, the blur of the known pixels over the blur of their weights (0 where no known pixel reaches): [3, wh, ww]. */
  rgb: Float64Array;
  /** The blur of the known pixels' weights: [wh, ww]. */
  weight: Float32Array;
  /** The grey's central differences [wh, ww], where `hasGradient`: inside the window with its 4 neighbours known. */
  gx: Float64Array;
  gy: Float64Array;
  hasGradient: Uint8Array;
}

/**
 * The joined edges' estimates over `box` (the hole's bounding box), or null when no two edges are joined.
 * `img` is planar [3, h, w] in [-1, 1] with the known pixels; `unknown` is 1 on the hole.
 */
export function carriedLines(img: Float32Array, unknown: Uint8Array, w: number, h: number, box: Box): LineSums | null {
  // every read lies within this of the box, and the blur's reach beyond it, so that the window's clamped
  // edges are not read
  const margin = PROFILE_R + MAX_SHIFT + Math.max(PROFILE_OUT_MAX + CONTINUE_PX, TENSOR_OFFSET + TENSOR_R) + 2 + Math.ceil(3 * SOFT_SIGMA);
  const win: Box = { x0: Math.max(0, box.x0 - margin), y0: Math.max(0, box.y0 - margin), x1: Math.min(w, box.x1 + margin), y1: Math.min(h, box.y1 + margin) };
  const soft = softKnown(img, unknown, w, h, win);
  const ends = edgeEnds(soft, unknown, w, h, win);
  if (ends.length < 2) return null;
  const lines = joinEnds(ends, soft, unknown, w);
  if (lines.length === 0) return null;
  const bw = box.x1 - box.x0;
  const bn = bw * (box.y1 - box.y0);
  const sums = new Float32Array(4 * bn);
  for (const line of lines) drawLine(line, unknown, w, box, sums, bn);
  return sums;
}

/** The known pixels blurred by SOFT_SIGMA over `win`, normalised by the blur of their weights, and its grey's gradients. */
function softKnown(img: Float32Array, unknown: Uint8Array, w: number, h: number, win: Box): Soft {
  const n = w * h;
  const ww = win.x1 - win.x0, wh = win.y1 - win.y0;
  const wn = ww * wh;
  const weighted = new Float32Array(4 * wn); // [4, wh, ww]: RGB x weight, then the weight
  for (let y = win.y0; y < win.y1; y++) {
    for (let x = win.x0; x < win.x1; x++) {
      const i = y * w + x;
      if (unknown[i]) continue;
      const j = (y - win.y0) * ww + (x - win.x0);
      for (let c = 0; c < 3; c++) weighted[c * wn + j] = img[c * n + i];
      weighted[3 * wn + j] = 1;
    }
  }
  const blurred = gaussianBlur(weighted, ww, wh, SOFT_SIGMA);
  const weight = blurred.subarray(3 * wn);
  const rgb = new Float64Array(3 * wn);
  const grey = new Float64Array(wn);
  for (let j = 0; j < wn; j++) {
    const k = weight[j];
    for (let c = 0; c < 3; c++) rgb[c * wn + j] = k > 0 ? blurred[c * wn + j] / k : 0;
    grey[j] = (rgb[j] + rgb[wn + j] + rgb[2 * wn + j]) / 3;
  }
  const gx = new Float64Array(wn), gy = new Float64Array(wn);
  const hasGradient = new Uint8Array(wn);
  for (let y = win.y0 + 1; y < win.y1 - 1; y++) {
    for (let x = win.x0 + 1; x < win.x1 - 1; x++) {
      if (unknown[y * w + x - 1] || unknown[y * w + x + 1] || unknown[(y - 1) * w + x] || unknown[(y + 1) * w + x]) continue;
      const j = (y - win.y0) * ww + (x - win.x0);
      gx[j] = (grey[j + 1] - grey[j - 1]) / 2;
      gy[j] = (grey[j + ww] - grey[j - ww]) / 2;
      hasGradient[j] = 1;
    }
  }
  return { win, ww, rgb, weight, gx, gy, hasGradient };
}

/** Colour channel c (3: the weight) of the soft image at a window pixel (x, y). */
function softAt(soft: Soft, x: number, y: number, c: number): number {
  const j = (y - soft.win.y0) * soft.ww + (x - soft.win.x0);
  return c === 3 ? soft.weight[j] : soft.rgb[c * soft.weight.length + j];
}

/** Bilinear soft colour at (x, y) into `out`; false where the point is outside the window or mostly unknown. */
function softColour(soft: Soft, x: number, y: number, out: Float32Array): boolean {
  const { win } = soft;
  if (x < win.x0 || y < win.y0 || x > win.x1 - 1 || y > win.y1 - 1) return false;
  const x0 = Math.min(win.x1 - 2, Math.floor(x)), y0 = Math.min(win.y1 - 2, Math.floor(y));
  if (x0 < win.x0 || y0 < win.y0) return false;
  const tx = x - x0, ty = y - y0;
  const corner = (c: number) =>
    (softAt(soft, x0, y0, c) * (1 - tx) + softAt(soft, x0 + 1, y0, c) * tx) * (1 - ty) + (softAt(soft, x0, y0 + 1, c) * (1 - tx) + softAt(soft, x0 + 1, y0 + 1, c) * tx) * ty;
  if (corner(3) < 0.9) return false;
  for (let c = 0; c < 3; c++) out[c] = corner(c);
  return true;
}

/** The known pixels touching the hole where a strong, oriented edge enters it, one per edge. */
function edgeEnds(soft: Soft, unknown: Uint8Array, w: number, h: number, win: Box): EdgeEnd[] {
  const found: EdgeEnd[] = [];
  for (let y = win.y0; y < win.y1; y++) {
    for (let x = win.x0; x < win.x1; x++) {
      if (unknown[y * w + x] || !touchesHole(unknown, w, h, x, y)) continue;
      // the hole's inward normal: the mean offset of the unknown pixels within NORMAL_R
      let nx = 0, ny = 0;
      for (let v = Math.max(win.y0, y - NORMAL_R); v < Math.min(win.y1, y + NORMAL_R + 1); v++) {
        for (let u = Math.max(win.x0, x - NORMAL_R); u < Math.min(win.x1, x + NORMAL_R + 1); u++) {
          if (unknown[v * w + u]) (nx += u - x), (ny += v - y);
        }
      }
      const nl = Math.hypot(nx, ny);
      if (nl === 0) continue;
      // the structure tensor over a window outside the hole, TENSOR_OFFSET px back along the normal: a window
      // at the border sees half as many gradients, and a slanted edge's orientation came out 10 degrees off
      const cx = Math.round(x - (TENSOR_OFFSET * nx) / nl), cy = Math.round(y - (TENSOR_OFFSET * ny) / nl);
      let jxx = 0, jxy = 0, jyy = 0, count = 0;
      for (let v = Math.max(win.y0, cy - TENSOR_R); v <= Math.min(win.y1 - 1, cy + TENSOR_R); v++) {
        for (let u = Math.max(win.x0, cx - TENSOR_R); u <= Math.min(win.x1 - 1, cx + TENSOR_R); u++) {
          const j = (v - win.y0) * soft.ww + (u - win.x0);
          if (!soft.hasGradient[j]) continue;
          const gx = soft.gx[j], gy = soft.gy[j];
          jxx += gx * gx;
          jxy += gx * gy;
          jyy += gy * gy;
          count++;
        }
      }
      if (count < (TENSOR_R + 1) ** 2) continue;
      jxx /= count;
      jxy /= count;
      jyy /= count;
      const root = Math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy);
      const l1 = (jxx + jyy + root) / 2, l2 = (jxx + jyy - root) / 2;
      if (l1 < MIN_STRENGTH || (l1 - l2) / (l1 + l2) < MIN_COHERENCE) continue;
      // the gradient's orientation; the edge runs across it
      const theta = 0.5 * Math.atan2(2 * jxy, jxx - jyy);
      let ex = -Math.sin(theta), ey = Math.cos(theta);
      const entry = (ex * nx + ey * ny) / nl;
      if (Math.abs(entry) < MIN_ENTRY) continue;
      if (entry < 0) (ex = -ex), (ey = -ey);
      found.push({ x, y, ex, ey, strength: l1 });
    }
  }
  // the strongest first; each suppresses the weaker ones near it
  found.sort((a, b) => b.strength - a.strength);
  const kept: EdgeEnd[] = [];
  for (const e of found) if (kept.every((k) => (k.x - e.x) ** 2 + (k.y - e.y) ** 2 > SUPPRESS_R * SUPPRESS_R)) kept.push(e);
  return kept;
}

interface Line {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** The colour profiles across the edge at the two ends: [2 * PROFILE_R + 1][3]. */
  from: Float32Array;
  to: Float32Array;
  match: number;
}

const colour = new Float32Array(3);

/** Pairs of ends that point at each other through the hole with matching profiles, the best first, each end once. */
function joinEnds(ends: EdgeEnd[], soft: Soft, unknown: Uint8Array, w: number): Line[] {
  const pairs: Line[] = [];
  const used = new Set<EdgeEnd>();
  const candidates: Array<{ a: EdgeEnd; b: EdgeEnd; line: Line }> = [];
  // every pair that lines up with a profile of nearly the shape a join needs
  const rivals: Array<{ a: EdgeEnd; b: EdgeEnd; match: number }> = [];
  for (let i = 0; i < ends.length; i++) {
    for (let k = i + 1; k < ends.length; k++) {
      const a = ends[i], b = ends[k];
      const dx = b.x - a.x, dy = b.y - a.y;
      const length = Math.hypot(dx, dy);
      if (length < MIN_LENGTH) continue;
      const ux = dx / length, uy = dy / length;
      if (a.ex * ux + a.ey * uy < MIN_ALIGN || -(b.ex * ux + b.ey * uy) < MIN_ALIGN) continue;
      if (!throughHole(a, b, length, unknown, w)) continue;
      // the profiles across the edge just outside the hole at both ends, and CONTINUE_PX further out, both
      // along the segment's one normal (-uy, ux), so that their sides correspond
      const from = outside(soft, a.x, a.y, -ux, -uy, -uy, ux);
      const to = outside(soft, b.x, b.y, ux, uy, -uy, ux);
      if (!from || !to) continue;
      // b's profile shifted along the edge's normal by up to MAX_SHIFT px to meet a's: each end is the
      // strongest pixel of its edge, which may lie a pixel or two to one side of the same feature
      let match = -1, shift = 0;
      for (let d = -MAX_SHIFT; d <= MAX_SHIFT; d++) {
        const r = profileCorrelation(centre(from[0], 0), centre(to[0], d));
        if (r > match) (match = r), (shift = d);
      }
      if (match >= MIN_CORRELATION - RIVAL_MARGIN) rivals.push({ a, b, match });
      if (match < MIN_CORRELATION || !sameUnderLight(centre(from[0], 0), centre(to[0], shift))) continue;
      if (profileCorrelation(centre(from[0], 0), centre(from[1], 0)) < MIN_CORRELATION) continue;
      if (profileCorrelation(centre(to[0], shift), centre(to[1], shift)) < MIN_CORRELATION) continue;
      // the profiles' normal is (-uy, ux): b moves by shift along it
      const line = { x0: a.x, y0: a.y, x1: b.x - shift * uy, y1: b.y + shift * ux, from: centre(from[0], 0), to: centre(to[0], shift), match };
      candidates.push({ a, b, line });
    }
  }
  // an end that lines up about as well with two edges on the other side that are more than a feature's width
  // apart is one of a repeated pattern (bands, planks, a texture's stripes): which one continues it is a
  // guess, and a wrong guess draws a streak
  const partners = new Map<EdgeEnd, Array<{ end: EdgeEnd; match: number }>>();
  const partnersOf = (e: EdgeEnd) => partners.get(e) ?? partners.set(e, []).get(e)!;
  for (const { a, b, match } of rivals) {
    partnersOf(a).push({ end: b, match });
    partnersOf(b).push({ end: a, match });
  }
  const ambiguous = (e: EdgeEnd) => {
    const others = partners.get(e) ?? [];
    const best = others.reduce((p, q) => (q.match > p.match ? q : p));
    return others.some((o) => o.match >= best.match - RIVAL_MARGIN && (o.end.x - best.end.x) ** 2 + (o.end.y - best.end.y) ** 2 > AMBIGUOUS_PX * AMBIGUOUS_PX);
  };
  candidates.sort((p, q) => q.line.match - p.line.match);
  for (const { a, b, line } of candidates) {
    if (pairs.length >= MAX_LINES) break;
    if (used.has(a) || used.has(b) || ambiguous(a) || ambiguous(b)) continue;
    used.add(a);
    used.add(b);
    pairs.push(line);
  }
  return pairs;
}

/** The correlation of two profiles' shapes, each less its mean (RGB together); 0 when either is flat. */
function profileCorrelation(a: Float32Array, b: Float32Array): number {
  const k = 2 * PROFILE_R + 1;
  let ab = 0, aa = 0, bb = 0;
  for (let c = 0; c < 3; c++) {
    let ma = 0, mb = 0;
    for (let s = 0; s < k; s++) (ma += a[3 * s + c]), (mb += b[3 * s + c]);
    ma /= k;
    mb /= k;
    for (let s = 0; s < k; s++) {
      const da = a[3 * s + c] - ma, db = b[3 * s + c] - mb;
      ab += da * db;
      aa += da * da;
      bb += db * db;
    }
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Whether profile b is profile a under other light: b = k a for one gain k per channel (the least-squares
 * one, levels in [0, 2]: sunlight is warmer than shade) leaves at most MAX_UNEXPLAINED times b's variance. A
 * railing olive in shade at one end and orange in sun at the other passes; a white kite's edge against the
 * sky and the pale sky beside another kite correlate in shape (both bright on blue) but not under a gain,
 * and joining them drew a white streak across the sky.
 */
function sameUnderLight(a: Float32Array, b: Float32Array): boolean {
  const k = a.length / 3;
  let residual = 0, variance = 0;
  for (let c = 0; c < 3; c++) {
    let ab = 0, aa = 0, mean = 0;
    for (let s = 0; s < k; s++) {
      ab += (a[3 * s + c] + 1) * (b[3 * s + c] + 1);
      aa += (a[3 * s + c] + 1) ** 2;
      mean += b[3 * s + c] + 1;
    }
    mean /= k;
    const gain = aa > 0 ? ab / aa : 0;
    for (let s = 0; s < k; s++) {
      residual += (b[3 * s + c] + 1 - gain * (a[3 * s + c] + 1)) ** 2;
      variance += (b[3 * s + c] + 1 - mean) ** 2;
    }
  }
  return residual <= MAX_UNEXPLAINED * variance;
}

/** Whether the segment a -> b runs through the hole (its ends aside), MIN_INSIDE of its pixels. */
function throughHole(a: EdgeEnd, b: EdgeEnd, length: number, unknown: Uint8Array, w: number): boolean {
  const steps = Math.floor(length);
  let inside = 0, total = 0;
  for (let s = 2; s <= steps - 2; s++) {
    const t = s / length;
    const x = Math.round(a.x + (b.x - a.x) * t), y = Math.round(a.y + (b.y - a.y) * t);
    total++;
    if (unknown[y * w + x]) inside++;
  }
  return total > 0 && inside >= MIN_INSIDE * total;
}

/** The PROFILE_R-wide part of a profile read with MAX_SHIFT to spare, centred `shift` samples off its middle. */
function centre(p: Float32Array, shift: number): Float32Array {
  const from = 3 * (MAX_SHIFT + shift);
  return p.subarray(from, from + 3 * (2 * PROFILE_R + 1));
}

/**
 * The profiles across an edge that leaves the hole at (x, y) in the direction (ux, uy), along (nx, ny),
 * PROFILE_R + MAX_SHIFT px each side: at the first distance out from PROFILE_OUT where every sample is known (a border that slants
 * across the edge puts some of the nearer ones in the hole), and CONTINUE_PX beyond it; null when either
 * cannot be read whole.
 */
function outside(soft: Soft, x: number, y: number, ux: number, uy: number, nx: number, ny: number): [Float32Array, Float32Array] | null {
  for (let out = PROFILE_OUT; out <= PROFILE_OUT_MAX; out++) {
    const near = profile(soft, x + out * ux, y + out * uy, nx, ny, PROFILE_R + MAX_SHIFT);
    if (!near) continue;
    const far = profile(soft, x + (out + CONTINUE_PX) * ux, y + (out + CONTINUE_PX) * uy, nx, ny, PROFILE_R + MAX_SHIFT);
    return far ? [near, far] : null;
  }
  return null;
}

/** Soft colours at (x, y) + s (nx, ny) for s in [-half, half]: [2 half + 1][3]; null unless all are known. */
function profile(soft: Soft, x: number, y: number, nx: number, ny: number, half: number): Float32Array | null {
  const out = new Float32Array(3 * (2 * half + 1));
  for (let s = -half; s <= half; s++) {
    if (!softColour(soft, x + s * nx, y + s * ny, colour)) return null;
    out.set(colour, 3 * (s + half));
  }
  return out;
}

/** Adds a line's band to `sums` ([4, bh, bw] over `box`): each hole pixel's profile colour, interpolated along the line, and its weight. */
function drawLine(line: Line, unknown: Uint8Array, w: number, box: Box, sums: Float32Array, bn: number): void {
  const dx = line.x1 - line.x0, dy = line.y1 - line.y0;
  const length = Math.hypot(dx, dy);
  const ux = dx / length, uy = dy / length;
  const nx = -uy, ny = ux;
  const bw = box.x1 - box.x0;
  const pad = PROFILE_R + 1;
  const xa = Math.max(box.x0, Math.floor(Math.min(line.x0, line.x1) - pad)), xb = Math.min(box.x1, Math.ceil(Math.max(line.x0, line.x1) + pad) + 1);
  const ya = Math.max(box.y0, Math.floor(Math.min(line.y0, line.y1) - pad)), yb = Math.min(box.y1, Math.ceil(Math.max(line.y0, line.y1) + pad) + 1);
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      if (!unknown[y * w + x]) continue;
      const rx = x - line.x0, ry = y - line.y0;
      const t = (rx * ux + ry * uy) / length;
      const s = rx * nx + ry * ny;
      if (t < 0 || t > 1 || Math.abs(s) > PROFILE_R) continue;
      // the profile between its samples at floor(s) and floor(s) + 1, at each end, then along the line
      const f = s + PROFILE_R, k0 = Math.min(2 * PROFILE_R - 1, Math.floor(f)), tf = f - k0;
      const wgt = LINE_WEIGHT * line.match * (1 - Math.abs(s) / (PROFILE_R + 1));
      const j = (y - box.y0) * bw + (x - box.x0);
      for (let c = 0; c < 3; c++) {
        const a = lerp(line.from[3 * k0 + c], line.from[3 * (k0 + 1) + c], tf);
        const b = lerp(line.to[3 * k0 + c], line.to[3 * (k0 + 1) + c], tf);
        sums[c * bn + j] += wgt * lerp(a, b, t);
      }
      sums[3 * bn + j] += wgt;
    }
  }
}

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}
