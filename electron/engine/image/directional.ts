/**
 * Directional interpolation of a hole: the known colours carried straight across it along the directions in
 * which the border agrees with itself, blended into the harmonic interpolation elsewhere.
 *
 * Why: the harmonic (Laplace) interpolation averages all of the border, so a line that crosses a wide hole
 * (a horizon behind a box, a roof edge, a pillar) bends towards the hole's middle: in a box whose top edge is
 * sky and bottom edge is field, the sky reaches halfway down, and the completion, which copies what this
 * interpolation says belongs where, drew the horizon as a U. Here every row and column run of the hole is
 * interpolated linearly between the known colours at its two ends, and a run counts for as much as
 * its ends agree (a structure that continues across it) and as it is short (the nearer end is close): a row
 * from sky to sky across a box is trusted, a column from sky to field is not. Where no direction's ends
 * agree, the harmonic interpolation decides.
 */

import { gaussianBlurBox, gaussianBlurBoxHalf } from './blur.js';
import { maskBox, touchesHole } from './composite.js';
import { carriedLines } from './lines.js';
import { harmonicFill } from './laplace.js';
import type { Box } from '../../shared/regions.js';

/**
 * A joined edge's band is held fixed in the harmonic interpolation where its weight (the match of its two
 * ends x its fall-off across the band) reaches this: its core, 2-3 px each side of the edge.
 */
const LINE_HOLD = 0.5;
/** Blur of the directional estimates across neighbouring runs, pixels. */
const SMOOTH_SIGMA = 3;
/**
 * Deep in a wide hole the runs' estimates are averaged over more of their neighbours: a blur of FAR_SIGMA
 * px, blended in from FAR_FROM px into the hole to in full FAR_FROM + FAR_DEPTH px in. A run's two ends
 * agreeing by chance says little about a colour hundreds of pixels from both: on a busy border (rocks and
 * snow beside a person brushed out of a canyon photo) single rows were carried across at full weight and
 * the ones next to them were not, and the guide, then the completion that follows it, had bright and dark
 * streaks across the hole. Near the border, where an edge crossing the hole is carried sharp, the blur
 * stays SMOOTH_SIGMA: blended in from the border on, it had cost a wood shelf's edge across a box 0.8 dB.
 * On the validation photos (models/default/REPORT.md) 20.73 against 20.72 dB.
 */
const FAR_SIGMA = 12;
const FAR_FROM = 16;
const FAR_DEPTH = 48;
/**
 * Directions walked, (dx, dy): rows and columns. The two diagonals as well scored the same on the validation
 * photos (20.71 against 20.72 dB) and drew a dark branch at a blob's border across it as a diagonal streak.
 */
const DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [0, 1],
];
/**
 * Agreement of a run's two ends: exp(-|a - b|^2 / AGREE^2), colours in [-1, 1] units (0.15: 19 levels of
 * 255 over the three channels).
 */
const AGREE = 0.15;
/**
 * Where both ends are smooth (their variance under the END_SIGMA window, summed over the channels, well
 * under SMOOTH_VARIANCE), the agreement's tolerance grows with the run's length: AGREE^2 x (1 + span /
 * GRADIENT_SPAN). A clear sky or a blurred background changes colour slowly across the photo, and a long
 * run's ends differ by that gradient, which the run's linear interpolation continues. Counted as
 * disagreeing, the rows across a person brushed out against an evening sky (17 levels apart over 320 px)
 * handed the sky beside his head to the harmonic interpolation, which the dark ground below pulls grey: a
 * grey dome over the horizon. In texture a difference says the run crosses something else, and on the
 * validation photos the longer tolerance without the smoothness gate cost 0.03-0.04 dB.
 * SMOOTH_VARIANCE: 3 x (4 levels of 255)^2 in [-1, 1] units.
 */
const GRADIENT_SPAN = 50;
const SMOOTH_VARIANCE = 3 * ((4 / 255) * 2) ** 2;
/**
 * A run with one end only (it leaves the region) counts as this much agreement, fading with the distance from
 * its end as exp(-d / ONE_END_REACH): nothing says that colour goes on. Without the fade, a hole brushed over
 * a person standing against the sky and reaching the photo's bottom edge had the sky above the head carried
 * down the whole body as a pale column (the rows there, rock on one side and snow on the other, disagreed,
 * so the columns decided). On the validation photos 20.73 against 20.72 dB.
 */
const ONE_END = 0.25;
const ONE_END_REACH = 16;
/**
 * The harmonic interpolation's say is set by the agreement of the runs that cross the hole (two ends) only:
 * a run with one end says nothing against the ones that cross. Counted at ONE_END, the columns down from
 * the sky above a person's head to the photo's bottom edge gave the harmonic interpolation a third of the
 * say in the sky beside the head, where the rows agreed sky to sky, and it greyed the sky there (it is
 * pulled towards the dark ground below). Where no run crosses (a corner of the photo) the agreement is
 * ONE_END's, reached smoothly as the crossing runs' blurred weight falls below NO_CROSSING (a run's weight
 * if its ends agreed fully is 1 / its nearer end's distance, so this is a run 10 000 px long).
 */
const NO_CROSSING = 1e-4;
/**
 * Weight of the harmonic interpolation against one direction whose ends agree fully, at the same distance:
 * where the directions disagree it decides. On the validation photos (84 box, blob and stroke cases, VQ-DDM,
 * every stage, diagonals walked too; models/default/REPORT.md) 0.1, 0.25 and 0.5 scored 20.65, 20.66 and
 * 20.63 dB (the harmonic interpolation alone 20.51); lower draws a horizon behind a box straighter, and
 * carries more of a busy border's branches and edges across a blob as streaks.
 *
 * It is scaled by 1 - the runs' agreement at the pixel (their weight over the weight they would have if
 * their ends agreed fully): where every run agrees the harmonic interpolation has no say. At a fixed fifth
 * of the say, a head brushed out against the sky, above a dark body, was filled with a grey cloud (the
 * harmonic interpolation there is pulled down by the body). On the validation photos 20.91 -> 20.93 dB
 * (models/default/REPORT.md); at a fixed weight of 0.1 instead, 20.91 with the seam 0.0230 -> 0.0232.
 */
const HARMONIC_WEIGHT = 0.25;
/**
 * A run's end colours are read from a blur of the known pixels (their own weights' blur divides it, so the
 * hole does not darken it), sigma END_SIGMA px: single pixels would carry the photo's grain across the hole
 * as streaks, neighbouring runs' ends differing by it.
 */
const END_SIGMA = 2;
/**
 * Where the hole is thin (no pixel within THIN_R px of it lies more than THIN_PX px from the border: a
 * scratch), the harmonic interpolation alone: the runs' ends are read from a blur and neighbouring runs are
 * averaged, which a wide hole needs and a scratch's edges lose. On the validation photos' scratches
 * (models/default/REPORT.md) 30.58 -> 32.22 dB, SSIM 0.923 -> 0.937, seam 0.0232 -> 0.0180 (OpenCV
 * Navier-Stokes 31.25 / 0.932 / 0.0182); strokes unchanged (24.72 dB).
 */
const THIN_PX = 3;
const THIN_R = 8;

/**
 * The border's interpolation over the hole, planar [3, h, w] (the known pixels as in `img`): the harmonic
 * interpolation of the known pixels, with the joined edges' cores held (`heldCores`), blended with the
 * directional one. `img` is planar [3, h, w] with the known pixels; `unknown` is 1 on the hole; `depth` each
 * pixel's distance to the nearest known pixel. null when no pixel is known.
 */
export function interpolateHole(img: Float32Array, unknown: Uint8Array, w: number, h: number, depth: Float32Array): Float32Array | null {
  if (!unknown.includes(0)) return null;
  const n = w * h;
  const out = img.slice();
  const box = maskBox(unknown, w, h);
  if (!box) return out;
  // edges joined across the hole at any angle, sharp: neither average below applies to them [4, bh, bw]
  const lines = carriedLines(img, unknown, w, h, box);
  harmonicFill(out, 3, lines ? heldCores(out, lines, unknown, w, box) : unknown, w, h);
  const bw = box.x1 - box.x0;
  const width = holeWidth(depth, w, box);
  // a scratch throughout: the harmonic interpolation's, without walking the runs
  if (!width.some((v, j) => v > THIN_PX && unknown[(box.y0 + Math.floor(j / bw)) * w + box.x0 + (j % bw)])) return out;
  // every run's ends lie within a pixel of the hole's box
  const around: Box = { x0: Math.max(0, box.x0 - 1), y0: Math.max(0, box.y0 - 1), x1: Math.min(w, box.x1 + 1), y1: Math.min(h, box.y1 + 1) };
  const ends = knownBlur(img, unknown, w, h, around);
  // [6, h, w]: the sums of weight x estimate (RGB) and of the weights, over all runs; and over the runs with
  // two ends, of their weights and of the weights they would have if their ends agreed fully (so that plane
  // 4 / plane 5 is how well the runs through a pixel that cross the hole agree)
  const sums = new Float32Array(6 * n);
  for (const [dx, dy] of DIRECTIONS) walk(ends, unknown, w, around, dx, dy, sums);
  // neighbouring runs' estimates averaged (all planes blurred alike, so this is a weighted mean of them):
  // a blob's runs change length and direction from one line to the next, and each change drew a line
  const narrow = gaussianBlurBox(sums, w, h, SMOOTH_SIGMA, box); // [6, bh, bw]
  // the wider average only where the hole is deeper than FAR_FROM (not in strokes and scratches), at half
  // resolution: the sums are smooth at this scale, and the full blur added a third to the anchoring
  const wide = depth.some((d) => d > FAR_FROM) ? gaussianBlurBoxHalf(sums, w, h, FAR_SIGMA, box) : narrow;
  const bn = bw * (box.y1 - box.y0);
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x;
      if (!unknown[i]) continue;
      const j = (y - box.y0) * bw + x - box.x0;
      if (width[j] <= THIN_PX) continue; // a scratch: the harmonic interpolation's
      const f = Math.min(1, Math.max(0, (depth[i] - FAR_FROM) / FAR_DEPTH));
      const weight = (1 - f) * narrow[3 * bn + j] + f * wide[3 * bn + j];
      const crossing = (1 - f) * narrow[4 * bn + j] + f * wide[4 * bn + j];
      const possible = (1 - f) * narrow[5 * bn + j] + f * wide[5 * bn + j];
      // the harmonic interpolation decides where the runs that cross the hole disagree, and gives way where
      // they agree; where none crosses it, they count as ONE_END's agreement
      const agreement = Math.min(1, (crossing + ONE_END * NO_CROSSING) / (possible + NO_CROSSING));
      const hw = (HARMONIC_WEIGHT / Math.max(1, depth[i])) * (1 - agreement);
      const total = weight + hw + (lines ? lines[3 * bn + j] : 0);
      for (let c = 0; c < 3; c++) out[c * n + i] = ((1 - f) * narrow[c * bn + j] + f * wide[c * bn + j] + hw * out[c * n + i] + (lines ? lines[c * bn + j] : 0)) / total;
    }
  }
  return out;
}

/** The largest `depth` within THIN_R px (a square window) of each pixel of the box [bh, bw]: the hole's half-width there. */
function holeWidth(depth: Float32Array, w: number, box: Box): Float32Array {
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const rows = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      let m = 0;
      for (let u = Math.max(0, x - THIN_R); u < Math.min(bw, x + THIN_R + 1); u++) m = Math.max(m, depth[(box.y0 + y) * w + box.x0 + u]);
      rows[y * bw + x] = m;
    }
  }
  const out = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      let m = 0;
      for (let v = Math.max(0, y - THIN_R); v < Math.min(bh, y + THIN_R + 1); v++) m = Math.max(m, rows[v * bw + x]);
      out[y * bw + x] = m;
    }
  }
  return out;
}

/**
 * Holds the joined edges' cores (the hole's pixels where a line's weight reaches LINE_HOLD) at their profiles
 * in `out` and returns the hole without them: the harmonic interpolation solved on it does not cross a
 * carried edge, and the border's colours no longer diffuse from one side of it to the other. Without it the
 * sky above a carried horizon pulled the canyon below it pale where the canyon's rows disagreed (a person
 * brushed out of a canyon photo: a light grey haze under the horizon, in the guide and in every fill that
 * follows it). `lines` is carriedLines' [4, bh, bw] over `box`.
 */
function heldCores(out: Float32Array, lines: Float32Array, unknown: Uint8Array, w: number, box: Box): Uint8Array {
  const n = unknown.length;
  const bw = box.x1 - box.x0;
  const bn = bw * (box.y1 - box.y0);
  const free = unknown.slice();
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x;
      const j = (y - box.y0) * bw + x - box.x0;
      const weight = lines[3 * bn + j];
      if (!unknown[i] || weight < LINE_HOLD) continue;
      free[i] = 0;
      for (let c = 0; c < 3; c++) out[c * n + i] = lines[c * bn + j] / weight;
    }
  }
  return free;
}

/**
 * Adds every run of direction (dx, dy) within `box` to the weighted sums `sums` [6, h, w]: each pixel's
 * linear estimate times its weight (RGB) and the weight; for a run with two ends, the weight again and the
 * weight it would have if its ends agreed fully. `box` holds the hole and a pixel beyond it, so every run's ends.
 */
function walk(img: Float32Array, unknown: Uint8Array, w: number, box: Box, dx: number, dy: number, sums: Float32Array): void {
  const n = unknown.length;
  const line: number[] = [];
  const inside = (x: number, y: number) => x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1;
  // every line starts at a pixel whose predecessor lies outside the box
  for (let y0 = box.y0; y0 < box.y1; y0++) {
    for (let x0 = box.x0; x0 < box.x1; x0++) {
      if (inside(x0 - dx, y0 - dy)) continue;
      line.length = 0;
      for (let x = x0, y = y0; inside(x, y); x += dx, y += dy) line.push(y * w + x);
      addRuns(img, unknown, n, line, sums);
    }
  }
}

const a = new Float32Array(4);
const b = new Float32Array(4);

function addRuns(img: Float32Array, unknown: Uint8Array, n: number, line: number[], sums: Float32Array): void {
  for (let s = 0; s < line.length; ) {
    if (!unknown[line[s]]) {
      s++;
      continue;
    }
    let e = s;
    while (e < line.length && unknown[line[e]]) e++;
    // the run is line[s .. e); its ends are the known pixels just outside it, where there are any
    const hasA = endColour(img, n, line, s - 1, a);
    const hasB = endColour(img, n, line, e, b);
    if (hasA || hasB) {
      const span = e - s + 1; // steps from one end to the other
      let agree = ONE_END;
      if (hasA && hasB) {
        let d2 = 0;
        for (let c = 0; c < 3; c++) d2 += (a[c] - b[c]) ** 2;
        const smooth = Math.exp(-(a[3] + b[3]) / SMOOTH_VARIANCE);
        agree = Math.exp(-d2 / (AGREE * AGREE * (1 + (smooth * span) / GRADIENT_SPAN)));
      }
      for (let k = s; k < e; k++) {
        const i = line[k];
        const t = (k - s + 1) / span; // 0 at the A end, 1 at the B end
        const near = hasA && hasB ? Math.min(k - s + 1, e - k) : hasA ? k - s + 1 : e - k;
        // the weight the run would have if its ends agreed fully, then its own
        const full = hasA && hasB ? 1 / near : Math.exp(-near / ONE_END_REACH) / near;
        const wgt = agree * full;
        for (let c = 0; c < 3; c++) {
          const v = hasA && hasB ? a[c] + (b[c] - a[c]) * t : hasA ? a[c] : b[c];
          sums[c * n + i] += wgt * v;
        }
        sums[3 * n + i] += wgt;
        if (hasA && hasB) {
          sums[4 * n + i] += wgt;
          sums[5 * n + i] += full;
        }
      }
    }
    s = e;
  }
}

/** The colour and the variance at line[k] (a known pixel) into `out`; false when the line has no pixel k. */
function endColour(img: Float32Array, n: number, line: number[], k: number, out: Float32Array): boolean {
  if (k < 0 || k >= line.length) return false;
  for (let c = 0; c < 4; c++) out[c] = img[c * n + line[k]];
  return true;
}

/**
 * The known pixels' normalised blur (sigma END_SIGMA) at the known pixels of `box` that touch the hole
 * (8-neighbours of it: every run's ends), and their variance under the same window summed over the
 * channels, planar [4, h, w]; 0 elsewhere. Computed there only: a blur of
 * the whole box cost as much as the rest of the interpolation.
 */
function knownBlur(img: Float32Array, unknown: Uint8Array, w: number, h: number, box: Box): Float32Array {
  const n = w * h;
  const r = Math.ceil(3 * END_SIGMA);
  const taps = Float32Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * END_SIGMA * END_SIGMA)));
  const out = new Float32Array(4 * n);
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x;
      if (unknown[i] || !touchesHole(unknown, w, h, x, y)) continue;
      let total = 0, r0 = 0, g0 = 0, b0 = 0, squares = 0;
      for (let v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
        for (let u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
          const j = v * w + u;
          if (unknown[j]) continue;
          const g = taps[v - y + r] * taps[u - x + r];
          total += g;
          r0 += g * img[j];
          g0 += g * img[n + j];
          b0 += g * img[2 * n + j];
          squares += g * (img[j] ** 2 + img[n + j] ** 2 + img[2 * n + j] ** 2);
        }
      }
      out[i] = r0 / total;
      out[n + i] = g0 / total;
      out[2 * n + i] = b0 / total;
      out[3 * n + i] = Math.max(0, squares / total - out[i] ** 2 - out[n + i] ** 2 - out[2 * n + i] ** 2);
    }
  }
  return out;
}
