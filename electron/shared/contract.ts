/**
 * The API contract shared by the engine, the Electron main process, the preload script, the serve bridge
 * and the renderer. Pure TypeScript: no `electron` and no `node:` imports, so the web side can see it.
 *
 * Binary data (images, masks, result patches) crosses every boundary as `Uint8Array`, never base64.
 */

/** The two samplers the app compares. */
export type Method = 'vqddm' | 'transformer';
export const METHODS: readonly Method[] = ['vqddm', 'transformer'];

/** 8-bit RGBA pixels, row-major, `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One byte per pixel, row-major; a pixel is filled when its value is >= 128. */
export interface MaskImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Sampling settings for one fill. Ranges are checked by the engine (`BAD_SETTINGS`). */
export interface FillSettings {
  /** Which samplers run, in this order. At least one. */
  methods: Method[];
  /** VQ-DDM reverse-diffusion steps, 1..T (exact step skipping). */
  steps: number;
  /** Candidates per method, 1..16, batched in one model call per step. */
  samples: number;
  /** Base seed (uint32). Same seed, same settings, same image: same pixels. */
  seed: number;
  /** Softmax temperature, > 0 (1 = the model's distribution). */
  temperature: number;
  /** VQ-DDM: keep the smallest set of classes whose predicted p(z0) mass reaches r, in (0, 1]; 1 = off. */
  truncation: number;
  /** Transformer: sample among the k most likely codes; 0 = all. */
  topK: number;
  /**
   * Refinement stages shared by both methods (they refine whatever coarse fill a method gives). Off, off:
   * the raw method comparison. `guidedDecoder`: decode the codes at the photo's own scale with the pack's
   * guided decoder, which sees the known pixels (packs without one decode as before). `anchorColours`:
   * the fill's low frequencies pulled toward a smooth interpolation of the known colours. `photoTexture`:
   * the fill's fine detail taken from the photo's own known pixels, guided by the fill.
   */
  guidedDecoder: boolean;
  anchorColours: boolean;
  photoTexture: boolean;
}

/** Stages a fill ran, in order: always `coarse` (sampling + decoding), then any refinement. */
export type FillStage = 'coarse' | 'guided-decoder' | 'colour-anchor' | 'photo-texture';

/**
 * Where a request's image and mask sit in a larger photo: they are the window at (x, y) of a
 * width x height photo. Crops are planned as on the whole photo and patches come back in photo
 * coordinates, so a client can send just the window the fill reads (the engine's `fillWindow`)
 * instead of every pixel of a 24 MP photo.
 */
export interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FillRequest {
  image: RgbaImage;
  mask: MaskImage;
  settings: FillSettings;
  /** Absent: the image is the whole photo. */
  frame?: Frame;
}

/** A rectangle of result pixels to paste over the input image (pixels outside the mask are unchanged). */
export interface Patch {
  x: number;
  y: number;
  image: RgbaImage;
}

/** Milliseconds spent per pipeline stage (summed over regions). */
export interface StageTimings {
  encode: number;
  sample: number;
  decode: number;
  composite: number;
  /** Colour-anchoring stage. */
  anchor: number;
  /** Photo-texture stage. */
  texture: number;
  total: number;
  /** Time inside `session.run` calls, to measure engine overhead. */
  modelRun: number;
}

/** One method's output: one entry of `samples` per candidate, each a list of patches (one per mask region). */
export interface MethodResult {
  method: Method;
  samples: { seed: number; patches: Patch[] }[];
  timings: StageTimings;
  /** Model calls made while sampling (steps for VQ-DDM, incremental token calls for the transformer). */
  modelCalls: number;
  /** Latent grid side used for each region. */
  grids: number[];
  /** The stages that ran (a requested stage is left out where the pack or the region cannot run it). */
  stages: FillStage[];
  provider: string;
  settings: FillSettings;
}

export type JobStage = 'queued' | 'encoding' | 'sampling' | 'decoding' | 'compositing' | 'texturing';

/** Events of a fill job, keyed on `stage`. `method` is null when the event concerns the whole job. */
export type JobEvent =
  | { jobId: string; method: Method | null; stage: JobStage; step: number; total: number; elapsedMs: number }
  | { jobId: string; method: Method; stage: 'done'; result: MethodResult; elapsedMs: number }
  | { jobId: string; method: null; stage: 'finished'; elapsedMs: number }
  | { jobId: string; method: Method | null; stage: 'error'; error: ApiErrorShape }
  | { jobId: string; method: Method | null; stage: 'canceled' };

/** What the UI shows about the loaded pack and the engine. */
export interface EngineInfo {
  packDir: string;
  packName: string;
  description: string;
  codebookSize: number;
  grid: number;
  grids: number[];
  downsample: number;
  T: number;
  defaultSteps: number;
  /** Execution provider sessions actually run on, e.g. `cpu`, `cuda`. */
  provider: string;
  /** Largest image the engine accepts, in pixels (decompression-bomb limit). */
  maxPixels: number;
  /** Smallest side, in pixels, of an image the engine accepts. */
  minSide: number;
  /** Why each provider preferred to `provider` is not in use, e.g. "cuda: its provider library is not installed". */
  providerNotes: string[];
  /** The pack has a guided decoder (the `guidedDecoder` refinement stage can run). */
  hasGuidedDecoder: boolean;
}

export type ErrorCode =
  | 'BAD_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'MASK_SIZE_MISMATCH'
  | 'EMPTY_MASK'
  | 'BAD_SETTINGS'
  | 'BAD_PACK'
  | 'UNKNOWN_JOB'
  | 'CANCELED'
  | 'IO_ERROR'
  | 'ENGINE_FAILURE';

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
}

/** The typed error both sides throw; serialised as `{code, message}` across IPC and HTTP. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
  toShape(): ApiErrorShape {
    return { code: this.code, message: this.message };
  }
  static from(shape: ApiErrorShape): ApiError {
    return new ApiError(shape.code, shape.message);
  }
}

export const DEFAULT_SETTINGS: FillSettings = {
  methods: ['vqddm', 'transformer'],
  steps: 50,
  samples: 1,
  seed: 1,
  temperature: 1,
  truncation: 1,
  topK: 100,
  guidedDecoder: true,
  anchorColours: true,
  photoTexture: true,
};

/** IPC channel names, `namespace:verb`. */
export const CHANNELS = {
  engineInfo: 'engine:info',
  engineDecode: 'engine:decode',
  engineEncode: 'engine:encode',
  engineFill: 'engine:fill',
  engineCancel: 'engine:cancel',
  engineLoadPack: 'engine:loadPack',
  engineEvent: 'engine:event',
} as const;

export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** The engine operations every transport (Electron IPC, serve bridge) exposes to the renderer. */
export interface EngineApi {
  info(): Promise<EngineInfo>;
  /** Decode an image file's bytes (PNG, JPEG, WebP, 8/16-bit, EXIF-rotated) to RGBA. */
  decodeImage(bytes: Uint8Array): Promise<RgbaImage>;
  /** Encode RGBA pixels to a file format; `quality` 1..100 for JPEG/WebP. */
  encodeImage(image: RgbaImage, format: ImageFormat, quality: number): Promise<Uint8Array>;
  /** Queue a fill; returns its job id at once. Progress and results arrive through `onJobEvent`. */
  fill(request: FillRequest): Promise<string>;
  /** Stop a queued or running job between model calls; its last event is `canceled`. */
  cancel(jobId: string): Promise<void>;
  /** Load and validate another model pack (a folder). */
  loadPack(dir: string): Promise<EngineInfo>;
  /** Subscribe to job events; returns an unsubscribe function. */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
}
