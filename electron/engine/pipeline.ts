/**
 * One method's fill of a photo: plan the crops, then for each tile encode, sample the unknown latent
 * cells, decode, and paste only the masked pixels. All samples of a fill are batched in every model call.
 */
import { ApiError, type FillSettings, type JobStage, type MaskImage, type Method, type StageTimings } from '../shared/contract.js';
import { cosineSchedule, type Schedule } from './math/schedule.js';
import type { PackModels } from './ort/models.js';
import { harmonicBlend, unknownAtModelScale } from './image/blend.js';
import { compositeTile, featherWeights } from './image/composite.js';
import { allocLike, cropPixels, pastePixels, type Pixels } from './image/pixels.js';
import { chooseGrid, cropOptionsFor, planRegions, wholeMask, type Box, type Region, type Tile } from './image/regions.js';
import { cropToModelInput, decodedToRgb } from './image/resample.js';
import { sampleVqddm } from './samplers/vqddm.js';
import { sampleTransformer } from './samplers/transformer.js';
import type * as ort from 'onnxruntime-node';

export interface FillOptions {
  signal?: AbortSignal;
  onProgress?: (stage: JobStage, step: number, total: number) => void;
  /** Transformer only: false recomputes the whole prefix per token (for the benchmark). */
  useCache?: boolean;
  /** The photo's extent in image coordinates when the image is a window of it (FillRequest.frame). */
  bounds?: Box;
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
}

interface PlannedTile {
  region: number;
  tile: Tile;
  G: number;
  /** 1 for the tile's pixels this tile fills [size * size]. */
  mask: Uint8Array;
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

/** Tiles in fill order with their pixel and latent masks (independent of the samples). */
export function planTiles(mask: MaskImage, regions: Region[], downsample: number, grids: number[]): PlannedTile[] {
  const remaining = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < remaining.length; i++) remaining[i] = mask.data[i] >= 128 ? 1 : 0;
  const planned: PlannedTile[] = [];
  regions.forEach((region, r) => {
    region.tiles.forEach((tile, k) => {
      const G = chooseGrid(tile.size, downsample, grids);
      const tileMask = new Uint8Array(tile.size * tile.size);
      const unknown = new Uint8Array(G * G);
      let any = false;
      for (let y = 0; y < tile.size; y++) {
        for (let x = 0; x < tile.size; x++) {
          const i = (tile.y + y) * mask.width + tile.x + x;
          if (!remaining[i]) continue;
          remaining[i] = 0;
          tileMask[y * tile.size + x] = 1;
          unknown[Math.floor((y * G) / tile.size) * G + Math.floor((x * G) / tile.size)] = 1;
          any = true;
        }
      }
      if (any) planned.push({ region: r, tile, G, mask: tileMask, unknown, seesEarlierFill: k > 0 });
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

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ApiError('CANCELED', 'the fill was canceled');
}

export async function fillMethod(
  models: PackModels,
  image: Pixels,
  mask: MaskImage,
  settings: FillSettings,
  method: Method,
  opts: FillOptions = {},
): Promise<PipelineOutput> {
  const m = models.pack.manifest;
  const S = (G: number) => G * m.downsample;
  const B = settings.samples;
  const seeds = sampleSeeds(settings.seed, B);
  const timings: StageTimings = { encode: 0, sample: 0, decode: 0, composite: 0, total: 0, modelRun: 0 };
  const started = performance.now();
  models.resetClock();
  const regions = planRegions(mask, cropOptionsFor(m.imageSize), opts.bounds ?? wholeMask(mask));
  const tiles = planTiles(mask, regions, m.downsample, m.grids);
  // One patch buffer per (sample, region), initialised from the photo; tiles composite into it.
  const patches = seeds.map(() => regions.map((r) => cropPixels(image, r.box.x0, r.box.y0, r.box.x1 - r.box.x0, r.box.y1 - r.box.y0)));
  const sampleTotal = method === 'vqddm' ? settings.steps * tiles.length : tiles.reduce((n, t) => n + t.unknown.reduce((a, u) => a + u, 0), 0);
  let sampleDone = 0;
  let sampleCalls = 0;

  for (let ti = 0; ti < tiles.length; ti++) {
    const { tile, G, region } = tiles[ti];
    const box = regions[region].box;
    const cells = G * G;
    const size = tile.size;

    // Encode: one crop per sample, or one shared crop when no earlier tile changed what this one sees.
    opts.onProgress?.('encoding', ti, tiles.length);
    let t0 = performance.now();
    const distinct = tiles[ti].seesEarlierFill ? B : 1;
    const inputs = new Float32Array(distinct * 3 * S(G) * S(G));
    for (let b = 0; b < distinct; b++) {
      const crop = cropPixels(image, tile.x, tile.y, size, size);
      pastePixels(crop, patches[b][region], box.x0 - tile.x, box.y0 - tile.y);
      inputs.set(await cropToModelInput(crop, tiles[ti].mask, S(G)), b * 3 * S(G) * S(G));
    }
    const encoded = await models.encode(inputs, distinct, S(G));
    const known = new Int32Array(B * cells);
    for (let b = 0; b < B; b++) known.set(encoded.subarray((distinct === 1 ? 0 : b) * cells, ((distinct === 1 ? 0 : b) + 1) * cells), b * cells);
    timings.encode += performance.now() - t0;
    checkAbort(opts.signal);

    t0 = performance.now();
    const callsBefore = models.calls;
    const generator =
      method === 'vqddm'
        ? sampleVqddm((z, t, bb, g) => models.denoise(z, t, bb, g), {
            known, unknown: tiles[ti].unknown, B, G, K: m.K, schedule: scheduleOf(models), steps: settings.steps,
            temperature: settings.temperature, truncation: settings.truncation, seeds: tileSeeds(seeds, ti),
          })
        : sampleTransformer<ort.Tensor>((tok, bb, n, past) => models.transformerStep(tok, bb, n, past), {
            known, unknown: tiles[ti].unknown, B, G, K: m.K, trainedGrid: m.grid, startToken: m.transformer.startToken,
            temperature: settings.temperature, topK: settings.topK, seeds: tileSeeds(seeds, ti), useCache: opts.useCache ?? true,
          });
    let codes: Int32Array;
    for (;;) {
      const next = await generator.next();
      if (next.done) {
        codes = next.value;
        break;
      }
      sampleDone++;
      opts.onProgress?.('sampling', sampleDone, sampleTotal);
      checkAbort(opts.signal);
    }
    sampleCalls += models.calls - callsBefore;
    timings.sample += performance.now() - t0;

    opts.onProgress?.('decoding', ti, tiles.length);
    t0 = performance.now();
    const decoded = await models.decode(codes, B, G);
    timings.decode += performance.now() - t0;
    checkAbort(opts.signal);

    opts.onProgress?.('compositing', ti, tiles.length);
    t0 = performance.now();
    const weights = featherWeights(tiles[ti].mask, size, Math.min(16, Math.max(1, Math.round((2 * size) / S(G)))));
    // Pixels whose model-scale value mixes in masked ones (Lanczos reaches 3 pixels when downscaling).
    const unknownS = unknownAtModelScale(tiles[ti].mask, size, S(G), size > S(G) ? 3 : 1);
    for (let b = 0; b < B; b++) {
      const blended = harmonicBlend(inputs, (distinct === 1 ? 0 : b) * 3 * S(G) * S(G), decoded, b * 3 * S(G) * S(G), unknownS, S(G));
      const rgb = await decodedToRgb(blended, 0, S(G), size);
      compositeTile(patches[b][region], tile.x - box.x0, tile.y - box.y0, size, rgb, weights);
    }
    timings.composite += performance.now() - t0;
  }

  timings.total = performance.now() - started;
  timings.modelRun = models.modelMs;
  return {
    samples: seeds.map((seed, b) => ({ seed, patches: regions.map((r, k) => ({ x: r.box.x0, y: r.box.y0, pixels: patches[b][k] })) })),
    timings,
    modelCalls: sampleCalls,
    grids: tiles.map((t) => t.G),
  };
}

/** Copies the photo and pastes one sample's patches: the filled image. */
export function applyPatches(image: Pixels, patches: FilledPatch[]): Pixels {
  const out = allocLike(image, image.width, image.height);
  out.data.set(image.data);
  for (const p of patches) pastePixels(out, p.pixels, p.x, p.y);
  return out;
}

export function validateSettings(settings: FillSettings, T: number): void {
  const bad = (msg: string) => new ApiError('BAD_SETTINGS', msg);
  if (!Array.isArray(settings.methods) || settings.methods.length === 0) throw bad('choose at least one method (vqddm, transformer)');
  for (const method of settings.methods) if (method !== 'vqddm' && method !== 'transformer') throw bad(`unknown method "${method}" (use vqddm, transformer or both)`);
  if (!Number.isInteger(settings.steps) || settings.steps < 1 || settings.steps > T) throw bad(`steps must be an integer from 1 to ${T} (the pack's T), got ${settings.steps}`);
  if (!Number.isInteger(settings.samples) || settings.samples < 1 || settings.samples > 16) throw bad(`samples must be an integer from 1 to 16, got ${settings.samples}`);
  if (!Number.isInteger(settings.seed) || settings.seed < 0 || settings.seed > 0xffffffff) throw bad(`seed must be an integer from 0 to 4294967295, got ${settings.seed}`);
  if (!(settings.temperature > 0 && settings.temperature <= 10)) throw bad(`temperature must be above 0 and at most 10, got ${settings.temperature}`);
  if (!(settings.truncation > 0 && settings.truncation <= 1)) throw bad(`truncation must be above 0 and at most 1, got ${settings.truncation}`);
  if (!Number.isInteger(settings.topK) || settings.topK < 0) throw bad(`top-k must be a non-negative integer (0 = off), got ${settings.topK}`);
}
