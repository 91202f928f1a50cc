/**
 * The engine behind the `EngineApi` contract, as the Electron main process and the serve bridge expose it:
 * requests are validated at once (errors reject the call), fills run through a one-at-a-time queue, and
 * progress and results go out as JobEvents to every subscriber.
 */
import { homedir } from 'node:os';
import type { EngineApi } from '../shared/operations.js';
import {
  ApiError,
  type EditedRegion,
  type EngineInfo,
  type FillRequest,
  type ImageFormat,
  type JobEvent,
  type Method,
  type MethodResult,
  type DecodedPhoto,
  type RgbaImage,
} from '../shared/contract.js';
import { decodeImage, encodeImage } from './image/codec.js';
import { encodeEdited } from './io/editedOutput.js';
import { toRgba8 } from './image/pixels.js';
import { BatchService } from './batchService.js';
import { Engine } from './engine.js';
import { codecSlots } from './jobs/limiter.js';
import { JobQueue } from './jobs/queue.js';
import type { Device } from './ort/providers.js';
import { defaultPackDir } from './paths.js';

export interface EngineService extends EngineApi {
  dispose(): Promise<void>;
}

export interface ServiceOptions {
  packDir?: string;
  device?: Device;
  /**
   * The folder the batch's paths must lie in. Default: the home folder (serve mode: a browser page names
   * folders of this machine). null: any folder (the desktop, whose folders come from main's dialog).
   */
  batchRoot?: string | null;
}

export async function createEngineService(opts: ServiceOptions = {}): Promise<EngineService> {
  const device = opts.device ?? 'auto';
  let engine = (await Engine.open(opts.packDir ?? defaultPackDir(), device)).warm();
  const listeners = new Set<(event: JobEvent) => void>();
  const emit = (event: JobEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // A failing subscriber must not stop the job or the other subscribers.
      }
    }
  };
  const queue = new JobQueue(emit);
  // The batch's fills go through the queue one model run at a time, taking turns with the editor's.
  let batchFills = 0;
  const batch = new BatchService({
    engine: () => engine,
    exclusive: <T>(work: (signal: AbortSignal) => Promise<T>) =>
      new Promise<T>((resolve, reject) => queue.submit(`batch-fill-${++batchFills}`, (_id, signal) => work(signal).then(resolve, reject))),
    root: opts.batchRoot === undefined ? homedir() : opts.batchRoot,
  });

  return {
    async info(): Promise<EngineInfo> {
      return engine.info();
    },

    // One decode or encode at a time per process, the others queued: each may hold 400 MB of pixels.
    async decodeImage(bytes: Uint8Array): Promise<DecodedPhoto> {
      return codecSlots.run(async () => {
        const { pixels, bits } = await decodeImage(bytes);
        return { width: pixels.width, height: pixels.height, data: toRgba8(pixels), bits };
      });
    },

    // Arguments arrive checked against the operation table (shared/operations.ts) by the transport.
    async encodeImage(image: RgbaImage, format: ImageFormat, quality: number): Promise<Uint8Array> {
      return codecSlots.run(async () => new Uint8Array(await encodeImage({ width: image.width, height: image.height, data: image.data }, format, quality)));
    },

    async encodeEdited(source: Uint8Array, edit: EditedRegion | null, format: ImageFormat, quality: number): Promise<Uint8Array> {
      return codecSlots.run(() => encodeEdited(source, edit, format, quality));
    },

    async fill(request: FillRequest, jobId: string): Promise<void> {
      const { image, mask, settings, frame } = request;
      const jobEngine = engine;
      const pixels = { width: image.width, height: image.height, data: image.data };
      const plan = jobEngine.plan(pixels, mask, settings, frame);
      queue.submit(jobId, async (jobId, signal, send) => {
        const jobStart = performance.now();
        // A method's clock starts with its first event: when its model stages get their turn.
        const starts = new Map<Method, number>();
        const elapsed = (method: Method): number => {
          const now = performance.now();
          if (!starts.has(method)) starts.set(method, now);
          return now - (starts.get(method) as number);
        };
        await jobEngine.runEach(
          plan,
          settings.methods,
          (method) => ({ signal, onProgress: (stage, step, total) => send({ jobId, method, stage, step, total, elapsedMs: elapsed(method) }) }),
          (method, out) => {
            const result: MethodResult = {
              method,
              samples: out.samples.map((s) => ({
                seed: s.seed,
                // In photo coordinates, also when the request was a window of the photo.
                patches: s.patches.map((p) => ({ x: p.x + (frame?.x ?? 0), y: p.y + (frame?.y ?? 0), image: { width: p.pixels.width, height: p.pixels.height, data: toRgba8(p.pixels) } })),
              })),
              timings: out.timings,
              modelCalls: out.modelCalls,
              grids: out.grids,
              stages: out.stages,
              provider: jobEngine.info().provider,
              settings,
            };
            send({ jobId, method, stage: 'done', result, elapsedMs: elapsed(method) });
          },
        );
        send({ jobId, method: null, stage: 'finished', elapsedMs: performance.now() - jobStart });
      });
    },

    async cancel(jobId: string): Promise<void> {
      queue.cancel(jobId);
    },

    async loadPack(dir: string): Promise<EngineInfo> {
      if (batch.active) throw new ApiError('BAD_REQUEST', 'A batch is running on this pack: stop it before switching packs');
      const next = (await Engine.open(dir, device)).warm();
      const previous = engine;
      engine = next;
      // Jobs already queued keep the pack they were validated against; release it once they are done.
      void queue.idle().then(() => previous.dispose());
      return next.info();
    },

    onJobEvent(listener: (event: JobEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    // The batch (batchService.ts; shared/batch.ts).
    listFolder: (path) => batch.listFolder(path),
    thumbnail: (path, side) => batch.thumbnail(path, side),
    batchPreview: (spec) => batch.batchPreview(spec),
    batchStart: (spec, o) => batch.batchStart(spec, o),
    batchControl: (action) => batch.batchControl(action),
    batchStatus: () => batch.batchStatus(),
    batchPick: (item, pick) => batch.batchPick(item, pick),
    batchExportPicks: (dest) => batch.batchExportPicks(dest),
    batchAddPhoto: (request) => batch.batchAddPhoto(request),
    onBatchEvent: (listener) => batch.subscribe(listener),

    async dispose(): Promise<void> {
      await batch.dispose();
      await queue.idle();
      await engine.dispose();
    },
  };
}
