/**
 * Stage 3 of a fill: the hole completed from the photo's own known pixels, guided by the learned fill.
 *
 * Multi-scale patch-based completion (Wexler, Shechtman and Irani, "Space-Time Completion of Video", PAMI
 * 2007; the method behind content-aware fill, with Barnes et al.'s PatchMatch, 2009, for the search): every
 * 7x7 patch that overlaps the hole is matched to a fully known 7x7 patch of the photo, and each hole pixel
 * becomes the average of what the overlapping matches say it is; matching and voting alternate, coarse to
 * fine. Because neighbouring patches must agree where they overlap, whole structures (an edge, a roof line, a
 * horizon) are carried across the hole in coherent pieces, at every scale of the pyramid, with the photo's own
 * grain at the finest.
 *
 * The learned fill decides what goes where: it is the starting estimate at the coarsest level, and every
 * match also pays for how far the source's blurred colours are from the fill's (the guide), so a piece is
 * only copied where the fill says that kind of content belongs (Yang et al., CVPR 2017, refine a network's
 * coarse prediction in the same spirit). At the finest level a copy must also carry grain at least as
 * strong as the hole's surroundings suggest (ENERGY_WEIGHT, patchSearch.ts), or the smooth estimate draws
 * smooth copies.
 * The completion fades in over FADE_PX pixels from FADE_FROM px inside the mask's edge, so thin scratches
 * mostly keep the anchored fill: there the interpolation of the border is the better estimate.
 * Everything is in typed arrays; the buffer is the region's patch (photo pixels with the fill pasted in).
 */
import { Rng } from '../math/rng.js';
import { chamferDistance, maskBox, maskCount } from './composite.js';
import { maxValue, type Pixels } from './pixels.js';
import type { Box } from '../../shared/regions.js';
import { gaussianBlur, gaussianBlurBox } from './blur.js';
import { harmonicFill } from './laplace.js';
import { PatchSearch, serialBands, upsampleField, validSources, type BandRunner, type Level } from './patchSearch.js';

export interface CompletionOptions {
  seed: number;
  /** Each pixel's chamfer distance to the nearest unmasked one, when the caller has it already. */
  distance?: Float32Array;
  /** The share of the completion laid over the region's pixels, 0..1 (1 when not given): a weaker grain. */
  strength?: number;
  /** Runs the patch search's bands (patchSearch.ts): one after the other here when not given. */
  bands?: BandRunner;
}

/**
 * Blur of the guide at every level, pixels; at the finest level also the split between the voted estimate's
 * low frequencies and the matched source's detail.
 */
const GUIDE_SIGMA = 2;
/**
 * Weight of the guide (the anchored fill's blurred colours), per lattice sample against one pixel of the
 * patch's own colours, GUIDE_WEIGHT near the hole's border rising to GUIDE_WEIGHT_DEEP from DEEP_FROM to
 * DEEP_FROM + DEEP_SPAN px into it (the photo's pixels). Deep in a wide hole the patches' own colours are the
 * completion's coarser guesses, while the guide carries the structure the border continues (the rows,
 * columns and edges carried across it, directional.ts and lines.ts); near the border the photo's own
 * patches fit as they are. On the validation photos (84 box, blob and stroke cases, VQ-DDM, every stage;
 * models/default/REPORT.md): 3 everywhere (chosen sessions ago against 1, 0.2 dB above it, before the rows,
 * columns and edges were carried) 20.93 dB / SSIM 0.597 / detail median 0.71; 4.5 everywhere 21.04 / 0.601
 * / 0.66; 6 everywhere 21.10 / 0.603 / 0.68, strokes' detail 0.60 -> 0.49; 3 rising to 6, 20.99 / 0.599 /
 * 0.66; 4.5 rising to 9, 21.11 / 0.605 / 0.62, strokes' detail 0.54, every kind higher. A stronger guide
 * trades grain for structure.
 */
const GUIDE_WEIGHT = 4.5;
const GUIDE_WEIGHT_DEEP = 9;
const DEEP_FROM = 8;
const DEEP_SPAN = 16;
const guideWeight = (depthPx: number) => GUIDE_WEIGHT + Math.min(1, Math.max(0, (depthPx - DEEP_FROM) / DEEP_SPAN)) * (GUIDE_WEIGHT_DEEP - GUIDE_WEIGHT);
/**
 * The pyramid halves until the hole has at most this many pixels (or the level gets too small): there a
 * 7x7 patch spans a good part of the hole, so a structure that enters it is matched whole.
 */
const COARSEST_HOLE = 100;
const MIN_SIDE = 12;
/** Match-and-vote rounds at the coarsest level, at the levels between, and at the finest. */
const ROUNDS_COARSEST = 6;
const ROUNDS_MIDDLE = 2;
const ROUNDS_FINEST = 1;
/**
 * Target-source pairs up to which every round of a level searches every source (the coarsest level: a thin
 * structure has only a handful of sources there, which random search misses, and its matches move as the
 * estimate fills in round by round).
 */
const EXACT_PAIRS = 300_000;
/**
 * Random search radius at a level that starts from a coarser level's matches, pixels: on the validation
 * photos 32 kept more of the grain on strokes than 8 (detail 0.61 against 0.55) for about 10 % more time.
 */
const REFINE_RADIUS = 32;
/**
 * The result's low frequencies are the guide's where the copied sources are smooth, the copies' own where
 * they carry strong detail (`busyness`). In a smooth area (a sky, a blurred background) the copies'
 * colours are no better than the guide's and their seams show: copies a few levels off the guide's
 * gradient drew a sharp-edged patch in a blurred background. BUSY_HALF: the energy of the copies' detail
 * at which each has half the say, 8-bit units squared summed over the channels, averaged over BUSY_SIGMA
 * px. On the validation photos (models/default/REPORT.md) 48 (4 levels per channel), 150, 500 and 2000
 * scored 21.15, 21.17, 21.19 and 21.22 dB (SSIM 0.605 to 0.608), the detail median 0.64 to 0.63: the
 * guide's colours are right more often than the copies' except where the copies carry an edge or a
 * strong texture (a band carried across a hole still is: tests/unit/completion.test.ts).
 */
const BUSY_HALF = 2000;
const BUSY_SIGMA = 4;
/** The grain's amplitude is averaged over this many px round a pixel. */
const ENERGY_SIGMA = 3;
/**
 * It is a geometric mean of |detail| (+ GRAIN_FLOOR, 8-bit units, so that a flat area's zeros stay finite):
 * a few strong edges in a flat area raise it little, where the RMS made the flat ground round a band crossing
 * a hole "grainy", and its own flat sources the worse match.
 */
const GRAIN_FLOOR = 2;
/**
 * The completion fades in from FADE_FROM px inside the mask's edge over FADE_PX px; nearer the edge the
 * anchored fill (the interpolation of the border) stays. With the grain's amplitude in the match
 * (ENERGY_WEIGHT), from 2 px over 4 to 1 px over 3 on the validation photos (112 cases; models/default/
 * REPORT.md): strokes 24.60 -> 24.54 dB, SSIM 0.693 -> 0.686, detail median 0.68 -> 1.02; boxes and blobs
 * -0.01 to -0.02 dB and -0.002 SSIM; scratches 32.22 -> 32.29 dB. Brushing a tripod out of a lawn, the
 * strokes' 2-4 px band had 4.8 levels of grain against the lawn's 17.5, and smooth streaks showed; now 10.4.
 */
const FADE_FROM = 1;
const FADE_PX = 3;


/**
 * Completes the masked pixels of `region` (RGBA, 8 or 16 bits) in place. `mask` is 1 for the filled pixels
 * (w x h). Returns false, changing nothing, when the region has no fully known 7x7 patch to copy from.
 */
export function completeStructure(region: Pixels, mask: Uint8Array, opts: CompletionOptions): boolean {
  const { width: w, height: h } = region;
  const n = w * h;
  if (!mask.some((v) => v)) return false;
  const scale = maxValue(region) / 255; // work in 8-bit units at any depth
  const img = new Float32Array(3 * n); // planar RGB [3, h, w]
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) img[c * n + i] = region.data[i * 4 + c] / scale;

  const levels: Level[] = [{ w, h, est: img.slice(), guide: new Float32Array(0), mask }];
  for (;;) {
    const top = levels[levels.length - 1];
    if (maskCount(top.mask) <= COARSEST_HOLE || top.w < 2 * MIN_SIDE || top.h < 2 * MIN_SIDE) break;
    levels.push(halve(top));
  }
  for (const level of levels) level.guide = gaussianBlur(level.est, level.w, level.h, GUIDE_SIGMA);

  const dist = opts.distance ?? chamferDistance(mask, w, h); // level 0's depth into the hole
  const rng = new Rng(opts.seed);
  const runner = opts.bands ?? serialBands;
  let field: Int32Array | null = null;
  let coarser: Level | null = null;
  for (let l = levels.length - 1; l >= 0; l--) {
    const level = levels[l];
    const sources = validSources(level.mask, level.w, level.h);
    if (sources.length === 0) {
      field = null; // nothing to copy from at this scale; the next finer level starts afresh
      coarser = null;
      continue;
    }
    const search = l === 0
      ? new PatchSearch(level, sources, dist, 1, guideWeight, rng, amplitude(level), runner)
      : new PatchSearch(level, sources, chamferDistance(level.mask, level.w, level.h), 2 ** l, guideWeight, rng, null, runner);
    const init = field && coarser ? upsampleField(field, coarser.w, coarser.h, level.w, level.h) : null;
    if (init) {
      search.seed(init);
      search.vote(); // the finer copies of the coarse matches are this level's starting estimate
    }
    const rounds = l === levels.length - 1 ? ROUNDS_COARSEST : l === 0 ? ROUNDS_FINEST : ROUNDS_MIDDLE;
    const exact = search.pairs <= EXACT_PAIRS;
    for (let k = 0; k < rounds; k++) {
      if (exact) search.exhaustive();
      else search.sweep(k % 2 === 0, init ? REFINE_RADIUS : Math.max(level.w, level.h));
      search.vote();
    }
    field = search.field;
    coarser = level;
  }
  if (!field || coarser !== levels[0]) return false;

  // The vote averages overlapping copies, which blurs their grain: the finest level keeps the vote's low
  // frequencies and takes the detail from each pixel's own matched source, at the photo's own amplitude.
  const { est, guide } = levels[0];
  const box = maskBox(mask, w, h) as Box; // the mask has a set pixel
  const bw = box.x1 - box.x0;
  const low = gaussianBlurBox(est, w, h, GUIDE_SIGMA, box); // [3, bh, bw]
  const bn = low.length / 3;
  const busy = busyness(est, guide, field, mask, w, h, box); // [bh, bw]
  const top = maxValue(region);
  const strength = opts.strength ?? 1;
  for (let p = 0; p < n; p++) {
    if (!mask[p]) continue;
    const f = strength * Math.min(1, Math.max(0, (dist[p] - FADE_FROM) / FADE_PX));
    if (f === 0) continue;
    const q = field[p];
    const b = (Math.floor(p / w) - box.y0) * bw + (p % w) - box.x0;
    for (let c = 0; c < 3; c++) {
      // a source's low frequencies: the guide, the photo's own blur there (sources lie outside the hole); where
      // the copies are smooth, their low frequencies give way to the guide's
      const lowHere = guide[c * n + p] + busy[b] * (low[c * bn + b] - guide[c * n + p]);
      const completed = q >= 0 ? lowHere + est[c * n + q] - guide[c * n + q] : est[c * n + p];
      const v = ((1 - f) * img[c * n + p] + f * completed) * scale;
      region.data[p * 4 + c] = v <= 0 ? 0 : v >= top ? top : Math.round(v);
    }
  }
  return true;
}

/**
 * How busy the copies are around each hole pixel, 0..1 over the mask's box [bh, bw]: their detail's energy
 * (|source - its blur|^2, summed over the channels, averaged over the hole's pixels nearby with a blur of
 * BUSY_SIGMA px), as energy / (energy + BUSY_HALF).
 */
function busyness(est: Float32Array, guide: Float32Array, field: Int32Array, mask: Uint8Array, w: number, h: number, box: Box): Float32Array {
  const n = w * h;
  const planes = new Float32Array(2 * n); // [2, h, w]: the detail's energy on the hole's pixels, the hole's indicator
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const p = y * w + x;
      const q = field[p];
      if (!mask[p] || q < 0) continue;
      let e = 0;
      for (let c = 0; c < 3; c++) e += (est[c * n + q] - guide[c * n + q]) ** 2;
      planes[p] = e;
      planes[n + p] = 1;
    }
  }
  const blurred = gaussianBlurBox(planes, w, h, BUSY_SIGMA, box); // [2, bh, bw]
  const bn = blurred.length / 2;
  const out = new Float32Array(bn);
  for (let b = 0; b < bn; b++) {
    const e = blurred[bn + b] > 0 ? blurred[b] / blurred[bn + b] : 0;
    out[b] = e / (e + BUSY_HALF);
  }
  return out;
}

/**
 * The grain's local amplitude round each pixel [h, w], 8-bit units: the geometric mean (GRAIN_FLOOR) of
 * |estimate - guide| (over the channels) on the known pixels within about ENERGY_SIGMA px, and in the hole
 * the harmonic interpolation of its log from the border: a grainy object along part of the border (a
 * shirt, a poster beside a smooth wall) spread its grain over the wall when the amplitude itself was
 * interpolated, and grainy copies were drawn across the wall.
 */
function amplitude(level: Level): Float32Array {
  const { w, h, est, guide, mask } = level;
  const n = w * h;
  const planes = new Float32Array(2 * n); // [2, h, w]: log(GRAIN_FLOOR + |detail|) on the known pixels, their indicator
  for (let i = 0; i < n; i++) {
    if (mask[i]) continue;
    let e = 0;
    for (let c = 0; c < 3; c++) e += (est[c * n + i] - guide[c * n + i]) ** 2;
    planes[i] = Math.log(GRAIN_FLOOR + Math.sqrt(e));
    planes[n + i] = 1;
  }
  const b = gaussianBlur(planes, w, h, ENERGY_SIGMA);
  const amp = new Float32Array(n);
  for (let i = 0; i < n; i++) amp[i] = !mask[i] && b[n + i] > 0 ? b[i] / b[n + i] : 0;
  harmonicFill(amp, 1, mask, w, h, 0.005); // in the log: a two-hundredth, half a percent of the amplitude
  for (let i = 0; i < n; i++) amp[i] = Math.exp(amp[i]) - GRAIN_FLOOR;
  return amp;
}

/** 2x2 box-averaged estimate; a coarse pixel is in the hole when any of its four is. */
function halve(level: Level): Level {
  const { w, h, est, mask } = level;
  const w2 = w >> 1, h2 = h >> 1, n = w * h, n2 = w2 * h2;
  const e2 = new Float32Array(3 * n2), m2 = new Uint8Array(n2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const i = 2 * y * w + 2 * x;
      const j = y * w2 + x;
      m2[j] = mask[i] | mask[i + 1] | mask[i + w] | mask[i + w + 1];
      for (let c = 0; c < 3; c++) {
        const o = c * n;
        e2[c * n2 + j] = 0.25 * (est[o + i] + est[o + i + 1] + est[o + i + w] + est[o + i + w + 1]);
      }
    }
  }
  return { w: w2, h: h2, est: e2, guide: new Float32Array(0), mask: m2 };
}
