/**
 * The patch search of the photo-texture stage (completion.ts): the nearest-neighbour field of one level of
 * its pyramid, found by PatchMatch (Barnes et al. 2009) or exhaustively, and the vote that turns the field
 * into the level's estimate.
 *
 * A round of the search runs in BANDS bands. A PatchMatch sweep's are the targets in scan order, cut into
 * BANDS runs of equal length: a band propagates matches within itself, reads a neighbour in another band as
 * it stood when the round began (`before`), and draws from a random stream of its own. An exhaustive round's
 * bands interleave the targets, and the vote's are runs again; in both each target (pixel) is its own. So
 * the bands can run side by side on as many threads (jobs/bandThreads.ts) and find the same field, bit for
 * bit, as when they run one after the other in the calling thread (`serialBands`). Everything a band reads
 * or writes is a typed array in `SearchArrays`, on shared memory when a runner asks for it
 * (`BandRunner.shares`).
 */
import { Rng } from '../math/rng.js';

/** Patch radius: 7x7 patches. */
export const R = 3;
const SIDE = 2 * R + 1;
/** The guide is compared on a 4x4 lattice of the patch: it is blurred, so it loses little. */
const LATTICE = [-3, -1, 1, 3];
/** A row of `SearchArrays.clamped`: a patch's pixels, then its lattice's. */
const EDGE_ROW = SIDE * SIDE + LATTICE.length ** 2;
/**
 * A patch's vote counts CONFIDENCE_BASE^-d, d its centre's distance into the hole (Wexler et al.'s
 * confidence): what is seen at the hole's edge is carried in, rather than the interior's guesses averaged.
 * Only the ratios between the patches over one pixel matter, so a vote for pixel i is weighted
 * CONFIDENCE_BASE^-(d_centre - d_i), which stays within CONFIDENCE_BASE^+-5 (centres lie within 3 px):
 * 2^-d itself underflowed to 0 in float32 beyond 149 px into a hole, and there no vote was counted (the
 * middle of a 700 x 500 box kept the smooth guide, a sharp-edged rectangle).
 */
const CONFIDENCE_BASE = 2;
/** CONFIDENCE_BASE^k for whole k in [-CONFIDENCE_SPAN, CONFIDENCE_SPAN], at k + CONFIDENCE_SPAN. */
const CONFIDENCE_SPAN = 8;
const CONFIDENCE_POWERS = Float64Array.from({ length: 2 * CONFIDENCE_SPAN + 1 }, (_, k) => CONFIDENCE_BASE ** (k - CONFIDENCE_SPAN));
/**
 * At the finest level a match also pays ENERGY_WEIGHT * 49 * max(0, amp(target) - amp(source))^2 (8-bit
 * units): amp is the grain's local amplitude (`amplitude`), measured round each known pixel and interpolated
 * into the hole from its border. Why: the hole's estimate is smooth (the anchored fill, then votes that
 * average copies), so its patches match smooth sources best, and the copies drew smooth streaks through
 * grass (brushing a tripod out of a lawn, the sources' grain was 8 levels RMS against the lawn's 17.7 round
 * the strokes) and smudges in textured holes. One-sided, and at the finest level only, so a structure
 * stronger than the border's grain (a band, a pattern seen at the coarse levels) is never the worse match.
 * On the validation photos (84 box, blob and stroke cases, VQ-DDM, every stage; models/default/REPORT.md;
 * the amplitude then interpolated itself, not its log, and the completion faded in from 2 px over 4), at
 * 0 / 4 / 16 / 64: detail median box 0.63 / 0.73 / 0.95 / 1.33, blob 0.79 / 0.83 / 0.94 / 1.15, strokes
 * 0.51 / 0.55 / 0.68 / 0.91 (the photos' own about 0.95), masked PSNR box 19.08 / 19.06 / 19.02 / 18.96 dB,
 * SSIM box 0.504 / 0.500 / 0.494 / 0.484, blob 0.557 / 0.553 / 0.541 / 0.528, strokes 0.700 / 0.697 /
 * 0.693 / 0.687. 16: the fills' grain as strong as the photos' own, for a hundredth of SSIM.
 */
const ENERGY_WEIGHT = 16;
/** Bands a round of the search is cut into (a whole number, independent of the threads that run them). */
export const BANDS = 2;
/**
 * Fewest targets for which a search hands its bands to the runner's threads (smaller ones run theirs one
 * after the other here): a round's hand-over costs a few hundred microseconds, a few thousand targets' work,
 * and a helper's memory wandered with the small shared arrays of 1000 tiny fills.
 */
export const MIN_SHARED_TARGETS = 4096;

/** One level of the pyramid: the current estimate (planar RGB [3, h, w]), its guide and the hole. */
export interface Level {
  w: number;
  h: number;
  est: Float32Array;
  guide: Float32Array;
  mask: Uint8Array;
}

/** Centres whose whole 7x7 patch lies inside the buffer and outside the hole (a summed-area table of the mask). */
export function validSources(mask: Uint8Array, w: number, h: number): Int32Array {
  const sat = new Int32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += mask[y * w + x] ? 1 : 0;
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
    }
  }
  const out: number[] = [];
  for (let y = R; y < h - R; y++) {
    for (let x = R; x < w - R; x++) {
      const x0 = x - R, x1 = x + R + 1, y0 = y - R, y1 = y + R + 1;
      const masked = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0];
      if (masked === 0) out.push(y * w + x);
    }
  }
  return Int32Array.from(out);
}

/** A coarse field's matches at twice the resolution: each pixel keeps its offset within its 2x2 block. */
export function upsampleField(coarse: Int32Array, w2: number, h2: number, w: number, h: number): Int32Array {
  const out = new Int32Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const q = coarse[Math.min(h2 - 1, y >> 1) * w2 + Math.min(w2 - 1, x >> 1)];
      if (q < 0) continue;
      const qx = 2 * (q % w2) + (x & 1);
      const qy = 2 * Math.floor(q / w2) + (y & 1);
      if (qx < w && qy < h) out[y * w + x] = qy * w + qx;
    }
  }
  return out;
}

/** Makes a search's typed arrays: on the calling thread's memory, or on memory its runner's threads share. */
interface Alloc {
  floats(n: number): Float32Array;
  ints(n: number): Int32Array;
  bytes(n: number): Uint8Array;
}

const local: Alloc = { floats: (n) => new Float32Array(n), ints: (n) => new Int32Array(n), bytes: (n) => new Uint8Array(n) };
const shared: Alloc = {
  floats: (n) => new Float32Array(new SharedArrayBuffer(4 * n)),
  ints: (n) => new Int32Array(new SharedArrayBuffer(4 * n)),
  bytes: (n) => new Uint8Array(new SharedArrayBuffer(n)),
};

/** `a` on shared memory when `share` (itself when not, or when it is there already). */
function sharedIf<T extends Float32Array | Int32Array | Uint8Array>(share: boolean, a: T): T {
  if (!share || a.buffer instanceof SharedArrayBuffer) return a;
  const out = new (a.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** What a band of a search reads and writes. */
export interface SearchArrays {
  w: number;
  h: number;
  /** The level's estimate and its guide, planar RGB [3, h, w]; its hole [h, w]. */
  est: Float32Array;
  guide: Float32Array;
  mask: Uint8Array;
  /** The grain's amplitude [h, w] at the finest level, else an empty array. */
  amp: Float32Array;
  /** Patch centres that overlap the hole, ascending [targets]; fully known centres to copy from. */
  targets: Int32Array;
  sources: Int32Array;
  isSource: Uint8Array;
  /** The patch's 49 pixels and its guide lattice's 16 as offsets from its centre. */
  offsets: Int32Array;
  lattice: Int32Array;
  /**
   * A patch that passes the buffer's edge reads the nearest pixels inside it: each target's row of `clamped`
   * (-1 for a target whose patch lies inside the buffer, nearly all), and those rows, the patch's 49 pixels
   * then its lattice's 16 [edge targets, 65].
   */
  edgeRow: Int32Array;
  clamped: Int32Array;
  /** Each target's guide weight [targets]. */
  guideWeight: Float32Array;
  /** Each pixel's source (-1 off the targets) [h, w]; the field as the round began; each target's distance. */
  field: Int32Array;
  before: Int32Array;
  best: Float32Array;
  /**
   * Each target's depth d split for the vote's relative weights [h, w]: whole = floor(d), and
   * CONFIDENCE_BASE^-(d - whole) (`down`).
   */
  whole: Int32Array;
  down: Float32Array;
}

/**
 * One round of a search: every target against every source, or a PatchMatch sweep (a random stream per
 * band); or the vote.
 */
export type BandTask = { kind: 'exhaustive' } | { kind: 'sweep'; forward: boolean; radius: number; seeds: number[] } | { kind: 'vote' };

/** Runs the BANDS bands of a round and returns when all are done. */
export interface BandRunner {
  /** Whether its bands need `SearchArrays` on shared memory. */
  readonly shares: boolean;
  /** Rounds it has run with their bands side by side on more than one thread. */
  readonly parallelRounds: number;
  run(s: SearchArrays, task: BandTask): void;
}

/** The bands one after the other in the calling thread. */
export const serialBands: BandRunner = {
  shares: false,
  parallelRounds: 0,
  run(s, task) {
    for (let b = 0; b < BANDS; b++) runBand(s, task, b);
  },
};

/** Band b of a round. */
export function runBand(s: SearchArrays, task: BandTask, b: number): void {
  const t0 = Math.floor((b * s.targets.length) / BANDS);
  const t1 = Math.floor(((b + 1) * s.targets.length) / BANDS);
  if (task.kind === 'exhaustive') exhaustive(s, b);
  else if (task.kind === 'sweep') sweep(s, t0, t1, task.forward, task.radius, new Rng(task.seeds[b]));
  else vote(s, t0, t1);
}

/**
 *   |est(target patch) - est(source patch)|^2 over the 7x7 patch
 *   + guideWeight(target) * |guide(target) - guide(source)|^2 over a 4x4 lattice of it
 *   + ENERGY_WEIGHT * 49 * max(0, amp(target) - amp(source))^2 at the finest level,
 * or a partial sum of it at `limit` or more.
 */
function distance(s: SearchArrays, t: number, q: number, limit: number): number {
  const { est, guide, lattice, offsets } = s;
  const n = s.w * s.h;
  // the target's pixels: its centre + offsets, or its row of clamped pixels
  const e = s.edgeRow[t];
  const centre = e < 0 ? s.targets[t] : 0;
  const pixels = e < 0 ? offsets : s.clamped, at = e < 0 ? 0 : e * EDGE_ROW;
  const lat = e < 0 ? lattice : s.clamped, latAt = e < 0 ? 0 : e * EDGE_ROW + SIDE * SIDE;
  let g = 0;
  // The guide's 48 samples first: they are cheap and rule out most candidates, so fewer reach the 147 of the
  // patch's own colours. A partial sum only grows, so stopping once it passes the limit chooses what the
  // whole sum would.
  for (let c = 0; c < 3; c++) {
    const o = c * n;
    for (let k = 0; k < lattice.length; k++) {
      const d = guide[o + centre + lat[latAt + k]] - guide[o + q + lattice[k]];
      g += d * d;
    }
  }
  // a source smoother than the grain expected at the target (finest level only; the cheap terms first)
  const da = s.amp.length ? Math.max(0, s.amp[s.targets[t]] - s.amp[q]) : 0;
  let sum = s.guideWeight[t] * g + ENERGY_WEIGHT * SIDE * SIDE * da * da;
  if (sum >= limit) return sum;
  for (let c = 0; c < 3; c++) {
    const o = c * n;
    for (let k = 0; k < SIDE * SIDE; k++) {
      const d = est[o + centre + pixels[at + k]] - est[o + q + offsets[k]];
      sum += d * d;
    }
    if (sum >= limit) return sum;
  }
  return sum;
}

function tryCandidate(s: SearchArrays, t: number, p: number, q: number): void {
  if (q < 0 || q >= s.isSource.length || !s.isSource[q] || q === s.field[p]) return;
  const d = distance(s, t, q, s.best[t]);
  if (d < s.best[t]) {
    s.best[t] = d;
    s.field[p] = q;
  }
}

/**
 * The exact nearest source of every BANDS-th target from b (affordable at the coarse levels, where PatchMatch
 * can miss rare structures). The targets are independent here, so the bands interleave: a run of targets
 * that are cheap to rule out (early exits in `distance`) is shared between them, and neither waits long for
 * the other (contiguous halves took 131 ms apart on a 1 MP photo's 10 % box).
 */
function exhaustive(s: SearchArrays, b: number): void {
  const { targets, field, sources } = s;
  for (let t = b; t < targets.length; t += BANDS) {
    const p = targets[t];
    s.best[t] = distance(s, t, field[p], Infinity);
    for (let k = 0; k < sources.length; k++) tryCandidate(s, t, p, sources[k]);
  }
}

/**
 * One PatchMatch sweep (Barnes et al. 2009) of targets [t0, t1): propagation from the neighbours scanned
 * before (as the round began, where they lie in another band), then random search out to `maxRadius`.
 */
function sweep(s: SearchArrays, t0: number, t1: number, forward: boolean, maxRadius: number, rng: Rng): void {
  const { w, h, targets, field, before, sources } = s;
  const n = w * h;
  // the band's pixels: [lo, hi)
  const lo = targets[t0], hi = t1 < targets.length ? targets[t1] : n;
  const at = (i: number) => (i >= lo && i < hi ? field[i] : before[i]);
  const step = forward ? 1 : -1;
  for (let k = 0; k < t1 - t0; k++) {
    const t = forward ? t0 + k : t1 - 1 - k;
    const p = targets[t];
    s.best[t] = distance(s, t, field[p], Infinity); // the estimate changed since the last sweep
    const x = p % w;
    if (x - step >= 0 && x - step < w) {
      const q = at(p - step);
      if (q >= 0) tryCandidate(s, t, p, q + step);
    }
    const up = p - step * w;
    if (up >= 0 && up < n) {
      const q = at(up);
      if (q >= 0) tryCandidate(s, t, p, q + step * w);
    }
    for (let r = maxRadius; r >= 1; r >>= 1) {
      const q = field[p];
      const qx = (q % w) + Math.round((rng.uniform() * 2 - 1) * r);
      const qy = Math.floor(q / w) + Math.round((rng.uniform() * 2 - 1) * r);
      if (qx >= 0 && qx < w && qy >= 0 && qy < h) tryCandidate(s, t, p, qy * w + qx);
    }
    tryCandidate(s, t, p, sources[rng.int(sources.length)]);
  }
}

/**
 * Hole pixels among targets [t0, t1) (the hole lies within the targets): each the mean of what the matches of
 * the patches over it copy there, a patch's copy weighted CONFIDENCE_BASE^-(d_centre - d_pixel), its
 * confidence relative to the pixel's own (`CONFIDENCE_BASE`). Each pixel gathers its own copies, so the
 * bands write disjoint pixels, and read only sources' pixels, which lie outside the hole.
 */
function vote(s: SearchArrays, t0: number, t1: number): void {
  const { w, h, est, mask, targets, field, whole, down } = s;
  const n = w * h;
  for (let t = t0; t < t1; t++) {
    const i = targets[t];
    if (!mask[i]) continue;
    const ix = i % w, iy = (i - ix) / w;
    const ki = whole[i] + CONFIDENCE_SPAN;
    let r = 0, g = 0, b = 0, weight = 0;
    for (let dy = -R; dy <= R; dy++) {
      const py = iy - dy;
      if (py < 0 || py >= h) continue;
      for (let dx = -R; dx <= R; dx++) {
        const px = ix - dx;
        if (px < 0 || px >= w) continue;
        const p = py * w + px;
        const q = field[p];
        if (q < 0) continue;
        // CONFIDENCE_BASE^-(d_p - d_i), less the pixel's own fraction CONFIDENCE_BASE^(d_i - whole_i), which
        // every copy of it shares
        const a = down[p] * CONFIDENCE_POWERS[Math.min(2 * CONFIDENCE_SPAN, Math.max(0, ki - whole[p]))];
        const src = q + dy * w + dx;
        r += a * est[src];
        g += a * est[n + src];
        b += a * est[2 * n + src];
        weight += a;
      }
    }
    est[i] = r / weight;
    est[n + i] = g / weight;
    est[2 * n + i] = b / weight;
  }
}

/**
 * The nearest-neighbour field of one level: for every patch centre within R of the hole (a target; its patch
 * overlaps the hole), the centre of a fully known source patch minimising `distance`, where the target's
 * known pixels are the photo's and its hole pixels the current estimate; and the vote.
 */
export class PatchSearch {
  private readonly s: SearchArrays;
  private readonly runner: BandRunner;

  /**
   * `depth`: each pixel's chamfer distance into the level's hole; `pixel`: the photo's pixels per level pixel;
   * `guideWeight(d)`: the guide's weight d photo pixels into the hole; `amp`: the grain's amplitude at the
   * finest level, else null. The level's estimate and guide move to shared memory when the runner needs it.
   */
  constructor(
    private readonly level: Level,
    sources: Int32Array,
    depth: Float32Array,
    pixel: number,
    guideWeight: (depthPx: number) => number,
    private readonly rng: Rng,
    amp: Float32Array | null,
    runner: BandRunner,
  ) {
    const { w, h, mask } = level;
    const n = w * h;
    // targets: the hole dilated by R (a box), so every patch that overlaps the hole
    const near = new Uint8Array(n);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!mask[y * w + x]) continue;
        for (let yy = Math.max(0, y - R); yy <= Math.min(h - 1, y + R); yy++) near.fill(1, yy * w + Math.max(0, x - R), yy * w + Math.min(w - 1, x + R) + 1);
      }
    }
    let count = 0;
    for (let i = 0; i < n; i++) count += near[i];
    this.runner = runner.shares && count >= MIN_SHARED_TARGETS ? runner : serialBands;
    const share = this.runner.shares;
    const alloc = share ? shared : local;
    level.est = sharedIf(share, level.est);
    level.guide = sharedIf(share, level.guide);
    const isSource = alloc.bytes(n);
    for (const q of sources) isSource[q] = 1;
    const targets = alloc.ints(count);
    for (let i = 0, t = 0; i < n; i++) if (near[i]) targets[t++] = i;
    const offsets = alloc.ints(SIDE * SIDE);
    for (let dy = -R, k = 0; dy <= R; dy++) for (let dx = -R; dx <= R; dx++, k++) offsets[k] = dy * w + dx;
    const lattice = alloc.ints(LATTICE.length ** 2);
    let k = 0;
    for (const dy of LATTICE) for (const dx of LATTICE) lattice[k++] = dy * w + dx;
    const inside = (p: number) => p % w >= R && p % w < w - R && p >= R * w && p < (h - R) * w;
    const edgeRow = alloc.ints(targets.length).fill(-1);
    let edges = 0;
    targets.forEach((p, t) => (edgeRow[t] = inside(p) ? -1 : edges++));
    const clamped = alloc.ints(edges * EDGE_ROW);
    targets.forEach((p, t) => {
      if (edgeRow[t] < 0) return;
      const px = p % w, py = (p - px) / w;
      const row = edgeRow[t] * EDGE_ROW;
      const clamp = (dx: number, dy: number) => Math.min(h - 1, Math.max(0, py + dy)) * w + Math.min(w - 1, Math.max(0, px + dx));
      for (let dy = -R, k = 0; dy <= R; dy++) for (let dx = -R; dx <= R; dx++, k++) clamped[row + k] = clamp(dx, dy);
      let j = SIDE * SIDE;
      for (const dy of LATTICE) for (const dx of LATTICE) clamped[row + j++] = clamp(dx, dy);
    });
    const field = alloc.ints(n).fill(-1);
    for (const p of targets) field[p] = sources[rng.int(sources.length)];
    const whole = alloc.ints(n), down = alloc.floats(n);
    for (const p of targets) {
      whole[p] = Math.floor(depth[p]);
      down[p] = CONFIDENCE_BASE ** (whole[p] - depth[p]);
    }
    const weights = alloc.floats(targets.length);
    targets.forEach((p, t) => (weights[t] = guideWeight(depth[p] * pixel)));
    this.s = {
      w, h, est: level.est, guide: level.guide, mask: sharedIf(share, level.mask), amp: amp ? sharedIf(share, amp) : alloc.floats(0),
      targets, sources: sharedIf(share, sources), isSource, offsets, lattice, edgeRow, clamped, guideWeight: weights,
      field, before: alloc.ints(n), best: alloc.floats(targets.length), whole, down,
    };
  }

  get field(): Int32Array {
    return this.s.field;
  }

  get pairs(): number {
    return this.s.targets.length * this.s.sources.length;
  }

  /** Starts from another field where it names a valid source. */
  seed(init: Int32Array): void {
    const { targets, field, isSource } = this.s;
    for (const p of targets) if (init[p] >= 0 && isSource[init[p]]) field[p] = init[p];
  }

  /** The exact nearest source of every target. */
  exhaustive(): void {
    this.runner.run(this.s, { kind: 'exhaustive' });
  }

  /** One PatchMatch sweep of every target, forward or backward, random search out to `maxRadius`. */
  sweep(forward: boolean, maxRadius: number): void {
    this.s.before.set(this.s.field);
    const seeds = Array.from({ length: BANDS }, () => this.rng.int(0x7fffffff));
    this.runner.run(this.s, { kind: 'sweep', forward, radius: maxRadius, seeds });
  }

  /** Every hole pixel becomes the mean of what the matches of the patches over it copy there, each weighted by its confidence. */
  vote(): void {
    this.runner.run(this.s, { kind: 'vote' });
  }
}
