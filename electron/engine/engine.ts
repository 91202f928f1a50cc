/**
 * The inference engine: a loaded model pack and the fill pipeline over it. No Electron import; the CLI,
 * the Electron main process and the serve bridge all use this class (through `service.ts` for the last two).
 */
import { ApiError, DEFAULT_SETTINGS, type EngineInfo, type FillSettings, type Frame, type MaskImage, type Method } from '../shared/contract.js';
import { settingsProblem } from '../shared/settings.js';
import { MAX_PIXELS, MIN_SIDE } from './image/codec.js';
import { cropOptionsFor, planRegions, wholeMask, type Box, type Region } from '../shared/regions.js';
import type { Pixels } from './image/pixels.js';
import { PackModels } from './ort/models.js';
import type { Device } from './ort/providers.js';
import { loadPack, releasePack, type LoadOptions } from './packs/load.js';
import { fillMethod, type FillOptions, type PipelineOutput } from './pipeline.js';
import { RegionBases } from './regionBases.js';

/**
 * Most crops one fill may need: each costs a model pass or more (0.1-0.5 s here), so a long thin mask over a
 * 16 x 100000 panorama (~12,000 crops, half an hour without a word) is refused up front instead.
 */
export const MAX_CROPS = 400;

/** The photo's extent in the coordinates of the image (a window of it when a frame is given). */
function boundsOf(mask: MaskImage, frame?: Frame): Box {
  return frame ? { x0: -frame.x, y0: -frame.y, x1: frame.width - frame.x, y1: frame.height - frame.y } : wholeMask(mask);
}

/** A fill request the engine has checked, with its crops planned: what `Engine.fill` runs. */
export interface FillPlan {
  readonly image: Pixels;
  readonly mask: MaskImage;
  readonly settings: FillSettings;
  readonly regions: Region[];
}

export class Engine {
  private constructor(readonly models: PackModels) {}

  /** Loads and validates a pack (every file, checksum and graph signature) and creates its sessions. */
  static async open(packDir: string, device: Device = 'auto', opts: LoadOptions = {}): Promise<Engine> {
    return new Engine(new PackModels(await loadPack(packDir, device, opts)));
  }

  /**
   * Starts creating the sessions a fill by these methods needs (all of them by default), so the first fill
   * does not wait for them; `Engine.open` creates only the encoder's.
   */
  warm(methods: readonly Method[] = ['vqddm', 'transformer']): this {
    this.models.warm(methods);
    return this;
  }

  get manifest() {
    return this.models.pack.manifest;
  }

  info(): EngineInfo {
    const m = this.manifest;
    return {
      packDir: this.models.pack.dir,
      packName: m.name,
      description: m.description,
      codebookSize: m.K,
      grid: m.grid,
      grids: m.grids,
      downsample: m.downsample,
      T: m.T,
      defaults: { ...m.defaults },
      provider: this.models.pack.provider,
      providerNotes: this.models.pack.providerNotes,
      maxPixels: MAX_PIXELS,
      minSide: MIN_SIDE,
      hasGuidedDecoder: this.models.hasGuidedDecoder,
    };
  }

  /** Settings with the pack's defaults for anything not given (absent or undefined). */
  settings(overrides: Partial<FillSettings> = {}): FillSettings {
    const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return { ...DEFAULT_SETTINGS, methods: [...DEFAULT_SETTINGS.methods], ...this.manifest.defaults, ...given };
  }

  /**
   * Checks a fill request and plans its crops, or throws the ApiError a fill of it would hit, before any
   * work is queued. With a `frame`, the image is a window of a larger photo, and the photo's size is what
   * the limits apply to.
   */
  plan(image: Pixels, mask: MaskImage, settings: FillSettings, frame?: Frame): FillPlan {
    if (frame) {
      const ok = [frame.x, frame.y, frame.width, frame.height].every(Number.isInteger) && frame.x >= 0 && frame.y >= 0 && frame.x + image.width <= frame.width && frame.y + image.height <= frame.height;
      if (!ok) throw new ApiError('BAD_IMAGE', `the frame (${frame.x}, ${frame.y}) of a ${frame.width}x${frame.height} photo does not hold the ${image.width}x${image.height} image`);
    }
    if (![image.width, image.height].every((v) => Number.isInteger(v) && v > 0)) throw new ApiError('BAD_IMAGE', `the image size must be whole numbers of pixels, got ${image.width}x${image.height}`);
    const { width, height } = frame ?? image;
    if (width * height > MAX_PIXELS) throw new ApiError('IMAGE_TOO_LARGE', `the image is ${width}x${height}, above the limit of ${MAX_PIXELS / 1e6} MP`);
    if (Math.min(width, height) < MIN_SIDE) throw new ApiError('BAD_IMAGE', `the image is ${width}x${height}; images must be at least ${MIN_SIDE}x${MIN_SIDE} pixels`);
    if (mask.width !== image.width || mask.height !== image.height || mask.data.length !== image.width * image.height) {
      throw new ApiError('MASK_SIZE_MISMATCH', `the mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}`);
    }
    if (!mask.data.some((v) => v >= 128)) throw new ApiError('EMPTY_MASK', 'nothing to fill: the mask is empty');
    const problem = settingsProblem(settings, this.manifest.T);
    if (problem) throw new ApiError('BAD_SETTINGS', problem);
    const regions = planRegions(mask, cropOptionsFor(this.manifest.imageSize), boundsOf(mask, frame));
    const crops = regions.reduce((n, r) => n + r.tiles.length, 0);
    if (crops > MAX_CROPS) throw new ApiError('IMAGE_TOO_LARGE', `the mask needs ${crops} crops to fill, more than the limit of ${MAX_CROPS}: fill a smaller area at a time`);
    return { image, mask, settings, regions };
  }

  /** Runs one method of a planned fill (`plan` checked it); `bases`: anchor bases shared with its other methods. */
  async run(plan: FillPlan, method: Method, opts: FillOptions = {}, bases?: RegionBases): Promise<PipelineOutput> {
    return fillMethod(this.models, plan.image, plan.mask, plan.settings, method, opts, plan.regions, bases);
  }

  /**
   * Runs several methods of a planned fill at once, calling `onDone` with each one's output as it finishes:
   * their model stages take turns on the device while each one's refinement runs on the refinement workers,
   * so the methods of a compare fill overlap, and compute colour anchoring's basis once for all of them.
   * Settles only when every method has stopped; then rejects with the first failure, if any (the others are
   * aborted).
   */
  async runEach(plan: FillPlan, methods: readonly Method[], optsOf: (method: Method) => FillOptions, onDone: (method: Method, out: PipelineOutput) => void): Promise<void> {
    const failed = new AbortController();
    const errors: unknown[] = []; // in the order they came: the first is the cause, the others' cancellation follows it
    const runs = methods.map((method) => {
      const opts = optsOf(method);
      return { method, opts: { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal } };
    });
    const bases = RegionBases.forMethods(plan.settings, runs.map((r) => r.opts.signal));
    await Promise.all(
      runs.map(async ({ method, opts }) => {
        try {
          onDone(method, await this.run(plan, method, opts, bases));
        } catch (err) {
          errors.push(err);
          failed.abort();
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  /** `plan` and `run` in one, for a single method. */
  async fill(image: Pixels, mask: MaskImage, settings: FillSettings, method: Method, opts: FillOptions = {}, frame?: Frame): Promise<PipelineOutput> {
    return this.run(this.plan(image, mask, settings, frame), method, opts);
  }

  async dispose(): Promise<void> {
    await releasePack(this.models.pack);
  }
}
