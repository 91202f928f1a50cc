/**
 * One method's fill of a photo: plan the crops, then for each tile encode, sample the unknown latent
 * cells, decode, and paste only the masked pixels. All samples of a fill are batched in every model call.
 */
import { ApiError, type FillSettings, type FillStage, type JobStage, type MaskImage, type Method, type StageTimings } from '../shared/contract.js';
import { cosineSchedule, type Schedule } from './math/schedule.js';
import type { PackModels } from './ort/models.js';
import { blendIntoTile, borderError, unknownAtModelScale } from './image/blend.js';
import { compositeTile, maskInBox, pasteWeights } from './image/composite.js';
import { allocLike, cropPixels, pastePixels, type Pixels } from './image/pixels.js';
import { chooseGrid, regionArea, tileClaims, type Box, type Region, type Tile } from '../shared/regions.js';
import { cropToModelInput, decodedToRgb } from './image/resample.js';
import { refinePool } from './jobs/refinePool.js';
import { RegionBases } from './regionBases.js';
import type { RefineJob } from './image/refine.js';
import { sampleVqddm } from './samplers/vqddm.js';
import { sampleTransformer } from './samplers/transformer.js';
import type { KvCache } from './ort/kvCache.js';

export interface FillOptions {
  signal?: AbortSignal;
  onProgress?: (stage: JobStage, step: number, total: number) => void;
  /** Transformer only: false recomputes the whole prefix per token (for the benchmark). */
  useCache?: boolean;
}

export interface FilledPatch {
  x: number;
  y: number;
  pixels: Pixels;
}

export interface PipelineOutput {
  samples: { seed: number; patches: FilledPatch[] }[];
  timings: StageTimings;
  modelCalls: number;
  grids: number[];
  stages: FillStage[];
}

/**
 * Largest side the guided decoder decodes a tile at. Beyond it the decoded tile is resized up as before;
 * the photo-texture stage then supplies the finest detail. Chosen for the 1 MP / 10 % mask budget on 2
 * CPU cores (docs/BENCHMARKS.md).
 */
export const GUIDED_MAX_SIDE = 384;

/** The side the guided decoder decodes a tile of `size` pixels at: its own size, capped, a multiple of 4, at least S. */
export function guidedSide(size: number, S: number): number {
  return Math.max(S, Math.min(GUIDED_MAX_SIDE, size) & ~3);
}

/**
 * The detail pass (coarse to fine, like SDEdit's partial noising): each tile's filled crop is encoded again
 * at its own scale (one code per 4x4 photo pixels, at most DETAIL_MAX_SIDE pixels a side: a 64 x 64 grid),
 * the unknown cells are noised to step DETAIL_T_FRACTION * T, and the masked reverse diffusion runs from
 * there in DETAIL_STEPS steps with the known cells held. The coarse grid gave the global layout; this pass
 * lets the prior redraw what one coarse cell stretched over many photo pixels.
 */
export const DETAIL_MAX_SIDE = 256;
export const DETAIL_T_FRACTION = 0.3;
export const DETAIL_STEPS = 4;

/** The side the detail pass works a tile of `size` pixels at (a multiple of 16), or 0 when that is no finer than the coarse side S. */
export function detailSide(size: number, S: number): number {
  const D = Math.min(DETAIL_MAX_SIDE, size) & ~15;
  return D > S ? D : 0;
}

/** 1 for the cells of a G x G grid over a size x size tile that hold a pixel of `mask` [size * size]. */
function cellsOf(mask: Uint8Array, size: number, G: number): Uint8Array {
  const cells = new Uint8Array(G * G);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (mask[y * size + x]) cells[Math.floor((y * G) / size) * G + Math.floor((x * G) / size)] = 1;
  return cells;
}

interface PlannedTile {
  region: number;
  tile: Tile;
  G: number;
  /** 1 for the tile's pixels this tile fills [size * size]. */
  mask: Uint8Array;
  /** 1 for the tile's masked pixels an earlier tile of the region claimed [size * size]: its paste feathers into them. */
  earlier: Uint8Array;
  /** 1 for the pixels this tile fills that an earlier tile pasted its fill over [size * size] (`pasteWeights`). */
  refills: Uint8Array;
  /** 1 for latent cells regenerated [G * G]. */
  unknown: Uint8Array;
  /** True when an earlier tile of the same region changed pixels this tile sees. */
  seesEarlierFill: boolean;
}

const schedules = new WeakMap<PackModels, Schedule>();

function scheduleOf(models: PackModels): Schedule {
  let s = schedules.get(models);
  if (!s) {
    const m = models.pack.manifest;
    s = cosineSchedule(m.T, m.schedule);
    schedules.set(models, s);
  }
  return s;
}

/**
 * Tiles in fill order with their pixel and latent masks (independent of the samples). A tile samples and
 * pastes every masked pixel of its crop not yet filled, but marks filled only those in its claim
 * (`tileClaims`): the next tile fills the rest of the overlap again, seeing the earlier fill as context,
 * and its paste feathers into that fill across the cut, so no seam shows where a crop ended (and nowhere
 * else: `pasteWeights`).
 */
export function planTiles(mask: MaskImage, regions: Region[], downsample: number, grids: number[]): PlannedTile[] {
  const remaining = new Uint8Array(mask.width * mask.height);
  const pasted = new Uint8Array(mask.width * mask.height); // 1 where an earlier tile pasted its fill
  for (let i = 0; i < remaining.length; i++) remaining[i] = mask.data[i] >= 128 ? 1 : 0;
  const planned: PlannedTile[] = [];
  regions.forEach((region, r) => {
    const claims = tileClaims(region);
    region.tiles.forEach((tile, k) => {
      const G = chooseGrid(tile.size, downsample, grids);
      const claim = claims[k]!;
      const tileMask = new Uint8Array(tile.size * tile.size);
      const earlier = new Uint8Array(tile.size * tile.size);
      const refills = new Uint8Array(tile.size * tile.size);
      const filled: number[] = [];
      for (let y = 0; y < tile.size; y++) {
        for (let x = 0; x < tile.size; x++) {
          const px = tile.x + x;
          const py = tile.y + y;
          const i = py * mask.width + px;
          if (!remaining[i]) {
            if (mask.data[i] >= 128) earlier[y * tile.size + x] = 1;
            continue;
          }
          tileMask[y * tile.size + x] = 1;
          refills[y * tile.size + x] = pasted[i];
          if (px >= claim.x0 && px < claim.x1 && py >= claim.y0 && py < claim.y1) filled.push(i);
        }
      }
      for (const i of filled) remaining[i] = 0;
      if (!filled.length) return;
      for (let y = 0; y < tile.size; y++) for (let x = 0; x < tile.size; x++) if (tileMask[y * tile.size + x]) pasted[(tile.y + y) * mask.width + tile.x + x] = 1;
      planned.push({ region: r, tile, G, mask: tileMask, earlier, refills, unknown: cellsOf(tileMask, tile.size, G), seesEarlierFill: k > 0 });
    });
  });
  return planned;
}

export function sampleSeeds(seed: number, samples: number): number[] {
  return Array.from({ length: samples }, (_, b) => (seed + b) >>> 0);
}

function tileSeeds(seeds: number[], tileIndex: number): number[] {
  return seeds.map((s) => (s ^ Math.imul(tileIndex + 1, 0x9e3779b1)) >>> 0);
}

/** k candidate seeds per sample seed, sample-major [B * k]; the first is the sample's own (best of 1 = no rerank). */
function candidateSeeds(seeds: number[], k: number): number[] {
  return seeds.flatMap((s) => Array.from({ length: k }, (_, j) => (j === 0 ? s : (s ^ Math.imul(j, 0x85ebca6b) ^ 0x5bd1e995) >>> 0)));
}

/** Known pixels this far around the hole (model pixels: two latent cells) score a candidate. */
const RERANK_RING = 8;

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ApiError('CANCELED', 'the fill was canceled');
}

/** Everything a tile's stages share during one fill. */
interface FillContext {
  models: PackModels;
  image: Pixels;
  settings: FillSettings;
  method: Method;
  opts: FillOptions;
  seeds: number[];
  /** patches[b][region]: sample b's pixels for a region's box, filled tile by tile. */
  patches: Pixels[][];
  regions: Region[];
  timings: StageTimings;
  /** Called once the model stages make no more model calls: what the refinement needs can be computed then. */
  onModelsDone: () => void;
}

/** What a tile sees for sample b: the photo's pixels under it, with the sample's fill of earlier tiles. */
function tileCrop(ctx: FillContext, planned: PlannedTile, b: number): Pixels {
  const { tile, region } = planned;
  const box = ctx.regions[region].box;
  const crop = cropPixels(ctx.image, tile.x, tile.y, tile.size, tile.size);
  pastePixels(crop, ctx.patches[b][region], box.x0 - tile.x, box.y0 - tile.y);
  return crop;
}

/** Model inputs for a tile [distinct, 3, S, S]: one per sample, or one shared when no earlier tile changed what it sees. */
async function tileInputs(ctx: FillContext, planned: PlannedTile, S: number): Promise<{ inputs: Float32Array; distinct: number }> {
  const distinct = planned.seesEarlierFill ? ctx.seeds.length : 1;
  const inputs = new Float32Array(distinct * 3 * S * S);
  for (let b = 0; b < distinct; b++) inputs.set(await cropToModelInput(tileCrop(ctx, planned, b), planned.mask, S), b * 3 * S * S);
  return { inputs, distinct };
}

/** Runs the method's sampler over a tile's grid; reports every model call as a step. Returns codes [B, G*G]. */
async function sampleTile(ctx: FillContext, planned: PlannedTile, tileIndex: number, known: Int32Array, sampleSeedList: number[], onStep: () => void): Promise<Int32Array> {
  const { models, settings } = ctx;
  const m = models.pack.manifest;
  const B = sampleSeedList.length;
  const seeds = tileSeeds(sampleSeedList, tileIndex);
  const generator =
    ctx.method === 'vqddm'
      ? sampleVqddm((z, t, bb, g) => models.denoise(z, t, bb, g), {
          known, unknown: planned.unknown, B, G: planned.G, K: m.K, schedule: scheduleOf(models), steps: settings.steps,
          temperature: settings.temperature, truncation: settings.truncation, seeds,
        })
      : sampleTransformer<KvCache>((tok, bb, n, past) => models.transformerStep(tok, bb, n, past), {
          known, unknown: planned.unknown, B, G: planned.G, K: m.K, trainedGrid: m.grid, startToken: m.transformer.startToken,
          temperature: settings.temperature, topK: settings.topK, seeds, useCache: ctx.opts.useCache ?? true,
        });
  for (;;) {
    const next = await generator.next();
    if (next.done) return next.value;
    onStep();
    checkAbort(ctx.opts.signal);
  }
}

/**
 * Decoded images [B, 3, S, S] -> resized to the tile, blended into what lies around the hole, pasted into
 * each sample's patch (masked pixels only). `distinct`: 1 when every sample's tile sees the same pixels.
 */
async function pasteTile(ctx: FillContext, planned: PlannedTile, S: number, distinct: number, decoded: Float32Array): Promise<void> {
  const { tile, region } = planned;
  const box = ctx.regions[region].box;
  const weights = pasteWeights(planned.mask, planned.refills, planned.earlier, tile.size, Math.min(16, Math.max(1, Math.round((2 * tile.size) / S))));
  let crop: Pixels | null = null;
  for (let b = 0; b < ctx.seeds.length; b++) {
    const rgb = await decodedToRgb(decoded, b * 3 * S * S, S, tile.size);
    if (!crop || distinct > 1) crop = tileCrop(ctx, planned, b);
    blendIntoTile(rgb, crop, planned.mask, tile.size);
    compositeTile(ctx.patches[b][region], tile.x - box.x0, tile.y - box.y0, tile.size, rgb, weights);
  }
}

/**
 * The guided decoder's pass over a tile: the codes decoded at the tile's own scale (side D, capped), seeing
 * the tile's known pixels. Returns what pasteTile blends: decoded [B, 3, D, D].
 */
async function decodeGuided(ctx: FillContext, planned: PlannedTile, codes: Int32Array): Promise<{ decoded: Float32Array; distinct: number; D: number }> {
  const B = ctx.seeds.length;
  const S = planned.G * ctx.models.pack.manifest.downsample;
  const D = guidedSide(planned.tile.size, S);
  const { inputs, distinct } = await tileInputs(ctx, planned, D);
  const n = D * D;
  // Every pixel whose footprint touches the mask (and Lanczos' reach when downscaling) is to be filled.
  const unknown = unknownAtModelScale(planned.mask, planned.tile.size, D, planned.tile.size > D ? 3 : 1);
  const masks = new Float32Array(B * n);
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) masks[b * n + i] = unknown[i];
  const images = distinct === B ? inputs : new Float32Array(B * 3 * n);
  if (images !== inputs) for (let b = 0; b < B; b++) images.set(inputs, b * 3 * n);
  const decoded = await ctx.models.decodeGuided(codes, B, planned.G, images, masks, D);
  return { decoded, distinct, D };
}

/**
 * The detail pass over one tile (see DETAIL_MAX_SIDE), for every sample; false when the tile's coarse grid
 * is already at the photo's scale. Runs the diffusion prior whichever method made the coarse fill.
 */
async function detailTile(ctx: FillContext, planned: PlannedTile, tileIndex: number): Promise<boolean> {
  const { models, settings, seeds } = ctx;
  const m = models.pack.manifest;
  const D = detailSide(planned.tile.size, planned.G * m.downsample);
  if (!D) return false;
  const G = D / m.downsample;
  const B = seeds.length;
  const { tile, region } = planned;
  const box = ctx.regions[region].box;
  // Each sample's tile with its coarse fill, encoded whole: the fill is the starting point, not hidden.
  const nothingHidden = new Uint8Array(tile.size * tile.size);
  const inputs = new Float32Array(B * 3 * D * D);
  for (let b = 0; b < B; b++) {
    const crop = cropPixels(ctx.image, tile.x, tile.y, tile.size, tile.size);
    pastePixels(crop, ctx.patches[b][region], box.x0 - tile.x, box.y0 - tile.y);
    inputs.set(await cropToModelInput(crop, nothingHidden, D), b * 3 * D * D);
  }
  const codes = await models.encode(inputs, B, D); // [B, G, G]
  const t = Math.max(1, Math.round(DETAIL_T_FRACTION * m.T));
  const generator = sampleVqddm((z, tt, bb, g) => models.denoise(z, tt, bb, g), {
    known: codes, unknown: cellsOf(planned.mask, tile.size, G), B, G, K: m.K, schedule: scheduleOf(models),
    steps: Math.min(DETAIL_STEPS, t), temperature: settings.temperature, truncation: settings.truncation,
    seeds: tileSeeds(seeds, 0x10000 + tileIndex), from: { t, codes },
  });
  let next = await generator.next();
  for (; !next.done; next = await generator.next()) checkAbort(ctx.opts.signal);
  const decoded = await models.decode(next.value, B, G);
  await pasteTile(ctx, planned, D, B, decoded);
  return true;
}

/** rows [B, n] -> [B * k, n], each row k times. */
function repeatEach(rows: Int32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(rows.length * k);
  for (let b = 0; b < rows.length / n; b++) for (let j = 0; j < k; j++) out.set(rows.subarray(b * n, (b + 1) * n), (b * k + j) * n);
  return out;
}

/** For each sample, the index (0..k-1) of its candidate with the least borderError. */
function pickCandidates(decoded: Float32Array, inputs: Float32Array, distinct: number, B: number, k: number, S: number, unknownS: Uint8Array): number[] {
  const size = 3 * S * S;
  return Array.from({ length: B }, (_, b) => {
    let best = 0;
    let bestErr = Infinity;
    for (let j = 0; j < k; j++) {
      const err = borderError(inputs, (distinct === 1 ? 0 : b) * size, decoded, (b * k + j) * size, unknownS, S, RERANK_RING);
      if (err < bestErr) [best, bestErr] = [j, err];
    }
    return best;
  });
}

/**
 * The pixel-space refinement stages (colour anchoring, then photo texture: the hole completed from pieces of
 * the photo, guided by the fill), per region for every sample, over the area the region's crops saw: the
 * photo's known pixels there are the anchor's boundary and the completion's sources. The regions are
 * refined side by side on the refinement workers (jobs/refinePool.ts), each from its anchor basis in `bases`
 * when given. Returns the stages that ran.
 */
async function refineRegions(ctx: FillContext, mask: MaskImage, timings: StageTimings, bases: RegionBases | undefined): Promise<FillStage[]> {
  const { settings, regions, patches, seeds, image, opts } = ctx;
  let finished = 0;
  const results = await Promise.all(
    regions.map(async (r, k) => {
      const around = regionArea(r);
      const crop = () => cropPixels(image, around.x0, around.y0, around.x1 - around.x0, around.y1 - around.y0);
      const prepared = bases ? await bases.take(k) : null;
      if (prepared) timings.anchor += prepared.ms;
      let works: Pixels[] = [];
      const job = (): RefineJob => {
        works = seeds.map((_, b) => {
          const work = crop();
          pastePixels(work, patches[b][k], r.box.x0 - around.x0, r.box.y0 - around.y0);
          return work;
        });
        return { around: crop(), mask: maskInBox(mask, around), works, seeds: tileSeeds(seeds, k), anchor: settings.anchorColours, basis: prepared?.basis, texture: settings.photoTexture ? settings.textureStrength : 0 };
      };
      const result = await refinePool.run((around.x1 - around.x0) * (around.y1 - around.y0), job, opts.signal);
      works.forEach((work, b) => {
        const back = cropPixels(work, r.box.x0 - around.x0, r.box.y0 - around.y0, r.box.x1 - r.box.x0, r.box.y1 - r.box.y0);
        patches[b][k].data.set(back.data);
      });
      opts.onProgress?.('texturing', ++finished, regions.length);
      return result;
    }),
  );
  checkAbort(opts.signal);
  // Each stage's time summed over the regions (which ran side by side: the sum can exceed the wall time).
  for (const r of results) {
    timings.anchor += r.anchorMs;
    timings.texture += r.textureMs;
  }
  const anchored = results.some((r) => r.anchored);
  const textured = results.some((r) => r.textured);
  return [...(anchored ? (['colour-anchor'] as const) : []), ...(textured ? (['photo-texture'] as const) : [])];
}

/**
 * A method's model stages over every tile (encode, sample, decode, paste; the detail pass when asked):
 * the coarse fill in `ctx.patches`. Returns the sampler's model calls; `stages` gets what ran.
 */
async function modelStages(ctx: FillContext, tiles: PlannedTile[], stages: FillStage[]): Promise<number> {
  const { models, settings, method, opts, seeds, timings } = ctx;
  const m = models.pack.manifest;
  const B = settings.samples;
  const guided = settings.guidedDecoder && models.hasGuidedDecoder;
  let sampleCalls = 0;
  const sampleTotal = method === 'vqddm' ? settings.steps * tiles.length : tiles.reduce((n, t) => n + t.unknown.reduce((a, u) => a + u, 0), 0);
  let sampleDone = 0;
  // Times a stage into timings[key] and checks for cancellation after it.
  const stage = async <T>(key: 'encode' | 'sample' | 'decode' | 'composite', run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await run();
    timings[key] += performance.now() - t0;
    checkAbort(opts.signal);
    return value;
  };

  for (let ti = 0; ti < tiles.length; ti++) {
    const planned = tiles[ti];
    const S = planned.G * m.downsample;
    const cells = planned.G * planned.G;
    opts.onProgress?.('encoding', ti, tiles.length);
    const { inputs, distinct, known } = await stage('encode', async () => {
      const x = await tileInputs(ctx, planned, S);
      const encoded = await models.encode(x.inputs, x.distinct, S); // [distinct, G, G]
      const codes = new Int32Array(B * cells);
      for (let b = 0; b < B; b++) codes.set(encoded.subarray((x.distinct === 1 ? 0 : b) * cells, ((x.distinct === 1 ? 0 : b) + 1) * cells), b * cells);
      return { ...x, known: codes };
    });
    const callsBefore = models.calls;
    // Best of k: k candidates per sample in the same model calls, then each sample keeps the candidate whose
    // decoding best continues the known pixels around the hole.
    const k = settings.bestOf;
    const knownK = k === 1 ? known : repeatEach(known, cells, k);
    const candidates = await stage('sample', () => sampleTile(ctx, planned, ti, knownK, candidateSeeds(seeds, k), () => opts.onProgress?.('sampling', ++sampleDone, sampleTotal)));
    sampleCalls += models.calls - callsBefore;
    opts.onProgress?.('decoding', ti, tiles.length);
    const out = await stage('decode', async () => {
      let codes = candidates;
      let plain: Float32Array | null = null;
      if (k > 1) {
        const decodedK = await models.decode(candidates, B * k, planned.G); // [B*k, 3, S, S]
        const picked = pickCandidates(decodedK, inputs, distinct, B, k, S, unknownAtModelScale(planned.mask, planned.tile.size, S, planned.tile.size > S ? 3 : 1));
        codes = new Int32Array(B * cells);
        plain = new Float32Array(B * 3 * S * S);
        picked.forEach((j, b) => {
          codes.set(candidates.subarray((b * k + j) * cells, (b * k + j + 1) * cells), b * cells);
          plain!.set(decodedK.subarray((b * k + j) * 3 * S * S, (b * k + j + 1) * 3 * S * S), b * 3 * S * S);
        });
      }
      if (guided) return decodeGuided(ctx, planned, codes);
      return { decoded: plain ?? (await models.decode(codes, B, planned.G)), distinct, D: S };
    });
    opts.onProgress?.('compositing', ti, tiles.length);
    if (ti === tiles.length - 1 && !settings.detailPass) ctx.onModelsDone();
    await stage('composite', () => pasteTile(ctx, planned, out.D, out.distinct, out.decoded));
  }
  if (settings.detailPass) {
    const t0 = performance.now();
    let detailed = false;
    for (let ti = 0; ti < tiles.length; ti++) {
      opts.onProgress?.('detailing', ti, tiles.length);
      detailed = (await detailTile(ctx, tiles[ti], ti)) || detailed;
    }
    timings.detail = performance.now() - t0;
    ctx.onModelsDone();
    if (detailed) stages.push('detail-pass');
  }
  return sampleCalls;
}

export async function fillMethod(
  models: PackModels,
  image: Pixels,
  mask: MaskImage,
  settings: FillSettings,
  method: Method,
  opts: FillOptions,
  /** The mask's regions and their crops (planRegions, as Engine.validate planned them). */
  regions: Region[],
  /** The regions' anchor bases, shared with the other methods of the same fill (`RegionBases.forMethods`); computed in the refinement when not given. */
  bases?: RegionBases,
): Promise<PipelineOutput> {
  const m = models.pack.manifest;
  const seeds = sampleSeeds(settings.seed, settings.samples);
  const timings: StageTimings = { encode: 0, sample: 0, decode: 0, composite: 0, detail: 0, anchor: 0, texture: 0, total: 0, modelRun: 0 };
  const stages: FillStage[] = settings.guidedDecoder && models.hasGuidedDecoder ? ['coarse', 'guided-decoder'] : ['coarse'];
  const tiles = planTiles(mask, regions, m.downsample, m.grids);
  const patches = seeds.map(() => regions.map((r) => cropPixels(image, r.box.x0, r.box.y0, r.box.x1 - r.box.x0, r.box.y1 - r.box.y0)));
  const ctx: FillContext = { models, image, settings, method, opts, seeds, patches, regions, timings, onModelsDone: () => bases?.start(image, mask, regions) };
  // The model stages of concurrent fills (the methods of a compare fill) take turns on the device (and on
  // its clocks); the refinement after them runs on the refinement workers, beside the next method's turn,
  // which holds a core meanwhile.
  const { started, sampleCalls, modelRun } = await models.turns.run(() => refinePool.holdingCore(async () => {
    const started = performance.now();
    models.resetClock();
    const sampleCalls = await modelStages(ctx, tiles, stages);
    return { started, sampleCalls, modelRun: models.modelMs };
  }));
  if (settings.anchorColours || settings.photoTexture) {
    opts.onProgress?.('texturing', 0, regions.length);
    stages.push(...(await refineRegions(ctx, mask, timings, bases)));
  }

  timings.total = performance.now() - started;
  timings.modelRun = modelRun;
  return {
    samples: seeds.map((seed, b) => ({ seed, patches: regions.map((r, k) => ({ x: r.box.x0, y: r.box.y0, pixels: patches[b][k] })) })),
    timings,
    modelCalls: sampleCalls,
    grids: tiles.map((t) => t.G),
    stages,
  };
}

/** Copies the photo and pastes one sample's patches: the filled image. */
export function applyPatches(image: Pixels, patches: FilledPatch[]): Pixels {
  const out = allocLike(image, image.width, image.height);
  out.data.set(image.data);
  for (const p of patches) pastePixels(out, p.pixels, p.x, p.y);
  return out;
}
