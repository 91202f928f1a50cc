/**
 * The time a fill has left, for the whole job: every method, every stage (encoding, sampling, decoding,
 * refinement), not only the sampling of the method running now. Pure.
 *
 * A method's time is modelled as   encode + units x per-unit sampling time + the rest (decode, paste,
 * refinement),   where units are the sampler's model calls as the engine counts them in its progress
 * (VQ-DDM: steps x crops; transformer: the unknown latent cells) and encode and the rest scale with the
 * crops' area. The methods' model stages (encode, sampling) take turns, in order, while a method's
 * refinement overlaps the next one's model stages (the engine refines on worker threads). The rates come from the last fill with the same pack, method and settings (kept between
 * runs); while a method samples, its own speed so far replaces the stored one. A part with no measurement
 * yet makes the estimate a lower bound, and the page says "at least".
 */
import type { EngineInfo, FillSettings, MaskImage, Method, MethodResult } from '../../electron/shared/contract';
import { latentCells } from './latent';

/** The work a fill plans, estimated in the page from the mask (the engine's own crop planner). */
export interface FillWork {
  tiles: number;
  /** Unknown latent cells over all crops (the transformer's tokens per sample). */
  cells: number;
  /** Summed crop area, megapixels. */
  areaMpx: number;
  /** Largest latent grid among the crops. */
  grid: number;
}

/** A method's measured speed. */
export interface Rate {
  perUnitMs: number;
  preMsPerMpx: number;
  postMsPerMpx: number;
}

/** What a method's progress looks like to the estimate (state/jobs.svelte.ts keeps it). */
export interface MethodClock {
  stage: string;
  /** Method-relative time of its latest event, and when (page clock, ms) that event arrived; 0 = none yet. */
  elapsedMs: number;
  at: number;
  sampleStartMs: number | null;
  sampleEndMs: number | null;
  /** The latest sampling event's step and total (the engine's units: steps x crops, or tokens). */
  sampleStep: number;
  sampleTotal: number;
  result: MethodResult | null;
}

export interface EtaPlan {
  work: FillWork | null;
  steps: number;
  rates: Partial<Record<Method, Rate>>;
}

export interface Estimate {
  /** Milliseconds left; with `lowerBound`, only the parts that can be estimated. Null: nothing known yet. */
  ms: number | null;
  lowerBound: boolean;
  /** Methods with a part not timed yet. */
  untimed: Method[];
}

const TERMINAL = new Set(['done', 'error', 'canceled']);
const POST = new Set(['decoding', 'compositing', 'detailing', 'texturing']);

/** Block-max of the mask (a masked pixel marks its block), at most `side` blocks on the long side. */
function reduced(mask: MaskImage, side = 1024): { alpha: { width: number; height: number; data: Uint8Array }; scale: number } {
  const block = Math.max(1, Math.ceil(Math.max(mask.width, mask.height) / side));
  if (block === 1) return { alpha: mask, scale: 1 };
  const w = Math.ceil(mask.width / block), h = Math.ceil(mask.height / block);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < mask.height; y++) {
    const row = y * mask.width, brow = Math.floor(y / block) * w;
    for (let x = 0; x < mask.width; x++) if (mask.data[row + x]! >= 128) data[brow + Math.floor(x / block)] = 255;
  }
  return { alpha: { width: w, height: h, data }, scale: 1 / block };
}

/** The crops, their grids and unknown cells a fill of `mask` (the whole photo's) will work on. */
export function fillWork(mask: MaskImage, info: Pick<EngineInfo, 'grids' | 'downsample' | 'grid'>): FillWork {
  const { alpha, scale } = reduced(mask);
  const tiles = latentCells(alpha, scale, info.grids, info.downsample, info.grid * info.downsample);
  return {
    tiles: tiles.length,
    cells: tiles.reduce((n, t) => n + t.cells.reduce((a, c) => a + c, 0), 0),
    areaMpx: tiles.reduce((n, t) => n + t.side * t.side, 0) / 1e6,
    grid: tiles.reduce((g, t) => Math.max(g, t.grid), 0),
  };
}

/** The sampler's progress units for a method (as the engine counts them). */
export function methodUnits(method: Method, work: FillWork, steps: number): number {
  return method === 'vqddm' ? steps * work.tiles : work.cells;
}

/** Rates are kept per pack, method, and the settings that change the work per unit. */
export function rateKey(pack: string, method: Method, s: FillSettings, work: FillWork | null): string {
  const stages = [s.guidedDecoder, s.detailPass, s.anchorColours, s.photoTexture].map((b) => (b ? 1 : 0)).join('');
  return `${pack}|${method}|s${s.samples}|k${s.bestOf}|g${work?.grid ?? 0}|${stages}`;
}

/** A finished method's rates: its sampling per unit, its encoding and the rest per megapixel of crops. */
export function rateFrom(result: MethodResult, elapsedMs: number, units: number, areaMpx: number): Rate | null {
  const t = result.timings;
  if (units <= 0 || areaMpx <= 0) return null;
  const total = Math.max(elapsedMs, t.total);
  return { perUnitMs: t.sample / units, preMsPerMpx: t.encode / areaMpx, postMsPerMpx: Math.max(0, total - t.encode - t.sample) / areaMpx };
}

/** Time left for the job at page time `now`. */
export function estimateJob(methods: readonly Method[], clocks: Partial<Record<Method, MethodClock>>, plan: EtaPlan, now: number): Estimate {
  const area = plan.work?.areaMpx ?? 0;
  // The time after sampling of a method done in this job: the other has the same crops and stages.
  const donePost = methods
    .map((m) => clocks[m])
    .find((c) => c?.stage === 'done' && c.result)?.result;
  const postFallback = donePost ? Math.max(0, donePost.timings.total - donePost.timings.encode - donePost.timings.sample) : null;
  // The methods' model stages take turns in this order; each one's refinement runs beside the next one's
  // model stages (the engine's refinement workers). So a method ends after the model stages of those before
  // it and its own, plus its refinement; the job ends with the last to end.
  let queue = 0, ms = 0, known = false;
  const untimed: Method[] = [];
  for (const m of methods) {
    const c = clocks[m];
    if (!c || TERMINAL.has(c.stage)) continue;
    const rate = plan.rates[m];
    const pre = rate ? rate.preMsPerMpx * area : null;
    const post = rate ? rate.postMsPerMpx * area : postFallback;
    const started = c.at > 0;
    const sinceEvent = started ? Math.max(0, now - c.at) : 0;
    const methodNow = c.elapsedMs + sinceEvent;
    // Sampling, or between two crops' sampling (a crop is decoded before the next is sampled).
    // (The first sampling event comes after the first call: the speed is known from the second on.)
    const sampling = c.sampleStartMs !== null && c.sampleStep > 1 && (c.stage === 'sampling' || c.sampleStep < c.sampleTotal);
    let modelLeft: number | null;
    let postLeft: number | null;
    if (sampling && c.sampleStartMs !== null && c.sampleEndMs !== null) {
      // Its own speed so far: the calls left, then the stages after sampling.
      const perUnit = (c.sampleEndMs - c.sampleStartMs) / (c.sampleStep - 1);
      modelLeft = Math.max(0, perUnit * (c.sampleTotal - c.sampleStep) - (c.stage === 'sampling' ? sinceEvent : 0));
      postLeft = post;
    } else if (POST.has(c.stage) && c.sampleEndMs !== null) {
      modelLeft = 0;
      postLeft = post === null ? null : Math.max(0, post - (methodNow - c.sampleEndMs));
    } else {
      // Not sampling yet: its whole time from the stored rates, less what has passed.
      const units = c.sampleTotal > 0 ? c.sampleTotal : plan.work ? methodUnits(m, plan.work, plan.steps) : null;
      const model = rate && pre !== null && units !== null ? pre + rate.perUnitMs * units : null;
      modelLeft = model === null ? null : Math.max(0, model - methodNow);
      postLeft = model === null || post === null ? null : Math.max(0, post - Math.max(0, methodNow - model));
    }
    if (modelLeft === null) {
      untimed.push(m);
      continue;
    }
    queue += modelLeft;
    known = true;
    if (postLeft === null) untimed.push(m);
    ms = Math.max(ms, queue + (postLeft ?? 0));
  }
  return { ms: known ? ms : null, lowerBound: untimed.length > 0, untimed };
}

/** The line the progress panel shows. */
export function estimateText(e: Estimate, label: (m: Method) => string): string {
  if (e.ms === null) return 'Estimating the time left…';
  const s = e.ms < 9500 ? `${Math.max(0.5, Math.round(e.ms / 500) / 2)} s` : `${Math.round(e.ms / 1000)} s`;
  if (e.lowerBound) return `At least ${s} left: ${e.untimed.map(label).join(' and ')} not timed yet with these settings`;
  if (e.ms < 500) return 'Almost done';
  return `About ${s} left`;
}
