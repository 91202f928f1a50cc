/**
 * The API contract shared by the engine, the Electron main process, the preload script, the serve bridge
 * and the renderer. Pure TypeScript: no `electron` and no `node:` imports, so the web side can see it.
 *
 * Binary data (images, masks, result patches) crosses every boundary as `Uint8Array`, never base64.
 */

import type { FillSettings, Method, PackDefaults } from './settings.js';

export { DEFAULT_SETTINGS, METHODS, type FillSettings, type Method } from './settings.js';

/** 8-bit RGBA pixels, row-major, `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * What Save sends with the file as opened (`encodeEdited`): where the page's pixels may differ from the
 * file, a region of the photo in photo coordinates.
 */
export interface EditedRegion {
  x: number;
  y: number;
  image: RgbaImage;
  /** One byte a pixel of `image`, non-zero where it differs from the file as decoded; absent: the engine compares. */
  changed?: Uint8Array | null;
}

/** A photo file the engine decoded for the page: 8-bit RGBA, and the bits per channel the file stores. */
export interface DecodedPhoto extends RgbaImage {
  /** 8, or more (10 or 12 for some AVIFs, 16 for 16-bit PNGs and TIFFs): Save then tells the page's 8 bits apart from the file's. */
  bits: number;
}

/** One byte per pixel, row-major; a pixel is filled when its value is >= 128. */
export interface MaskImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Stages a fill ran, in order: always `coarse` (sampling + decoding), then any refinement. */
export type FillStage = 'coarse' | 'guided-decoder' | 'detail-pass' | 'colour-anchor' | 'photo-texture';

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
  /** Detail-pass stage (encoding, sampling and decoding at the photo's scale). */
  detail: number;
  /**
   * Colour-anchoring stage, summed over the regions: they are refined side by side on worker threads, so with
   * several regions this and `texture` can add up to more than the wall time.
   */
  anchor: number;
  /** Photo-texture stage, summed over the regions (as `anchor`). */
  texture: number;
  /** Wall time of the method, from its model stages' turn (a compare fill's methods take turns) to its last refinement. */
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

export type JobStage = 'queued' | 'encoding' | 'sampling' | 'decoding' | 'compositing' | 'detailing' | 'texturing';

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
  /** The pack's own defaults for steps, truncation and top-k (how its priors sample best). */
  defaults: PackDefaults;
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
  | 'BAD_REQUEST'
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

/**
 * Main hands the page a MessagePort to the engine process on this channel (and again after the engine
 * process restarts); the preload passes it on to the page with `window.postMessage` under ENGINE_PORT_TAG.
 */
export const ENGINE_PORT_CHANNEL = 'engine:port';
export const ENGINE_PORT_TAG = 'vqddm-engine-port';

export type ImageFormat = 'png' | 'jpeg' | 'webp';
