/**
 * The engine's operations, in one table: every transport (the desktop's MessagePort to the engine
 * process, the serve bridge's WebSocket) and every client and dispatcher is derived from it. Adding an
 * operation = one entry here (its argument schemas), its result type in `OperationResults`, and the
 * engine method of the same name.
 *
 * Arguments are checked against the schemas where they arrive (the engine side), once; results come from
 * the engine itself and are typed, not re-checked. Pure TypeScript (the page imports it too).
 */
import * as v from 'valibot';
import { ApiError, type DecodedPhoto, type EngineInfo, type ErrorCode, type JobEvent } from './contract.js';
import { BATCH_ACTIONS, batchAddSchema, batchSpecSchema, batchStartSchema, itemKeySchema, pathSchema, pickSchema, thumbSideSchema, type BatchAdded, type BatchEvent, type BatchItem, type BatchPreview, type BatchRun, type BatchStatus, type FolderListing, type PicksExport, type Thumbnail } from './batch.js';
import { fillSettingsSchema } from './settings.js';

const MAX_SIDE = 1 << 20;
const side = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_SIDE));
const offset = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_SIDE));
const bytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'expected bytes (Uint8Array)');

/** Pixels with `channels` bytes each; the byte count must match the size. */
function raster(channels: number) {
  return v.pipe(
    v.object({ width: side, height: side, data: bytes }),
    v.check((im) => im.data.length === im.width * im.height * channels, (issue) => {
      const im = issue.input as { width: number; height: number; data: Uint8Array };
      return `image data has ${im.data.length} bytes, expected ${im.width * im.height * channels} for ${im.width}x${im.height}`;
    }),
  );
}

/** The page's pixels where edits were applied; `changed`, when given, one byte per pixel of `image`. */
const editedRegion = v.pipe(
  v.object({ x: offset, y: offset, image: raster(4), changed: v.optional(v.nullable(bytes)) }),
  v.check((r) => !r.changed || r.changed.length === r.image.width * r.image.height, (issue) => {
    const r = issue.input as { image: { width: number; height: number }; changed: Uint8Array };
    return `changed has ${r.changed.length} bytes, expected ${r.image.width * r.image.height} for the ${r.image.width}x${r.image.height} region`;
  }),
);

const frame = v.object({ x: offset, y: offset, width: side, height: side });

/** A job id the client chose (so no event of a job can reach it before it knows the id). */
export const jobIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a job id is 1-64 letters, digits or _.:-'));

export const fillRequestSchema = v.object({
  image: raster(4),
  mask: raster(1),
  settings: fillSettingsSchema,
  /** Absent: the image is the whole photo. See `Frame`. */
  frame: v.optional(frame),
});

/**
 * An operation: its argument schemas (a tuple), the error code for arguments that do not fit (settings
 * problems are always BAD_SETTINGS), and `job`: the operation starts ('start') or addresses ('address') the
 * job whose id is its last argument; channels scope those ids to the client, so a client reaches only its
 * own jobs.
 */
export interface OperationEntry {
  args: v.GenericSchema<unknown[]>;
  invalid: ErrorCode;
  job?: 'start' | 'address';
  /**
   * The largest message of this operation a channel that knows sizes (the serve WebSocket) accepts, in
   * bytes; larger ones are refused with `tooLarge` before they are checked or run. Default: 64 KiB, BAD_REQUEST.
   */
  maxBytes?: number;
  tooLarge?: ErrorCode;
}
export type OperationTable = Readonly<Record<string, OperationEntry>>;

/** The engine's pixel limit (engine/image/codec.ts MAX_PIXELS), for the message limits below. */
const MAX_PIXELS = 100_000_000;
const KiB = 1024, MiB = 1024 * KiB;
/** A call without images: its arguments, job id and framing (the default limit). */
export const SMALL_MESSAGE = 64 * KiB;
const SMALL = SMALL_MESSAGE;
/** Room for a message's head and settings beside its pixels. */
const HEAD = 1 * MiB;

export const OPERATIONS = {
  info: { args: v.tuple([]), invalid: 'BAD_REQUEST', maxBytes: SMALL, tooLarge: 'BAD_REQUEST' },
  /** An image file: 512 MiB holds a 100 MP photo in any format the engine reads but the largest raw TIFFs. */
  decodeImage: { args: v.tuple([bytes]), invalid: 'BAD_IMAGE', maxBytes: 512 * MiB, tooLarge: 'IMAGE_TOO_LARGE' },
  encodeImage: {
    args: v.tuple([raster(4), v.picklist(['png', 'jpeg', 'webp'], 'format must be png, jpeg or webp'), v.pipe(v.number(), v.integer(), v.minValue(1, 'quality must be from 1 to 100'), v.maxValue(100, 'quality must be from 1 to 100'))]),
    invalid: 'BAD_SETTINGS',
    maxBytes: MAX_PIXELS * 4 + HEAD,
    tooLarge: 'IMAGE_TOO_LARGE',
  },
  /**
   * The editor's Save at the opened file's own depth and in its own colour space (engine/io/editedOutput.ts):
   * the file as opened, the region of the page's pixels where edits were applied (null: none) with, where
   * the page decoded the file itself, one byte a pixel saying which it changed, the format and quality.
   * Both within decodeImage's limit: a region that large is a photo filled nearly whole.
   */
  encodeEdited: {
    args: v.tuple([bytes, v.nullable(editedRegion), v.picklist(['png', 'jpeg', 'webp'], 'format must be png, jpeg or webp'), v.pipe(v.number(), v.integer(), v.minValue(1, 'quality must be from 1 to 100'), v.maxValue(100, 'quality must be from 1 to 100'))]),
    invalid: 'BAD_IMAGE',
    maxBytes: 512 * MiB,
    tooLarge: 'IMAGE_TOO_LARGE',
  },
  /** RGBA and its mask: 5 bytes a pixel. */
  fill: { args: v.tuple([fillRequestSchema, jobIdSchema]), invalid: 'BAD_IMAGE', job: 'start', maxBytes: MAX_PIXELS * 5 + HEAD, tooLarge: 'IMAGE_TOO_LARGE' },
  cancel: { args: v.tuple([jobIdSchema]), invalid: 'BAD_REQUEST', job: 'address', maxBytes: SMALL, tooLarge: 'BAD_REQUEST' },
  loadPack: { args: v.tuple([v.pipe(v.string(), v.minLength(1), v.maxLength(4096))]), invalid: 'BAD_PACK', maxBytes: SMALL, tooLarge: 'BAD_REQUEST' },
  // The batch (shared/batch.ts): one at a time per engine, its events to every page. Paths only, no pixels.
  listFolder: { args: v.tuple([v.nullable(pathSchema)]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  thumbnail: { args: v.tuple([pathSchema, thumbSideSchema]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchPreview: { args: v.tuple([batchSpecSchema]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchStart: { args: v.tuple([batchSpecSchema, batchStartSchema]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchControl: { args: v.tuple([v.picklist(BATCH_ACTIONS, `a batch action is one of ${BATCH_ACTIONS.join(', ')}`)]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchStatus: { args: v.tuple([]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchPick: { args: v.tuple([itemKeySchema, pickSchema]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  batchExportPicks: { args: v.tuple([v.nullable(pathSchema)]), invalid: 'BAD_REQUEST', maxBytes: SMALL },
  /** A photo and its painted mask, both PNG (as decodeImage's limit). */
  batchAddPhoto: { args: v.tuple([batchAddSchema]), invalid: 'BAD_REQUEST', maxBytes: 512 * MiB, tooLarge: 'IMAGE_TOO_LARGE' },
} as const satisfies OperationTable;

export type OperationName = keyof typeof OPERATIONS;

/** The largest message any operation of `table` accepts: a transport's cap on one message (the serve WebSocket's maxPayload). */
export function largestMessage(table: OperationTable = OPERATIONS): number {
  return Math.max(...Object.values(table).map((e) => e.maxBytes ?? SMALL_MESSAGE));
}

/** What each operation resolves to. */
export interface OperationResults {
  info: EngineInfo;
  decodeImage: DecodedPhoto;
  encodeImage: Uint8Array;
  encodeEdited: Uint8Array;
  /** Resolves once the job is queued; progress and results arrive as JobEvents. */
  fill: void;
  cancel: void;
  loadPack: EngineInfo;
  /** null: the top folder (the home folder in serve mode). */
  listFolder: FolderListing;
  thumbnail: Thumbnail;
  /** The dry run: every pair and every problem; nothing is written. */
  batchPreview: BatchPreview;
  /** Resolves once the run has started (its checks passed); progress arrives as BatchEvents. */
  batchStart: BatchStatus;
  batchControl: BatchRun;
  batchStatus: BatchStatus;
  /** Marks the better method of an item of the current batch (null: none); appended to its record. */
  batchPick: BatchItem;
  /** Copies the picked results of the current batch to a folder (null: `picks` in the output folder). */
  batchExportPicks: PicksExport;
  /** Writes the editor's photo and painted mask into a batch's folders; never over another file. */
  batchAddPhoto: BatchAdded;
}

export type OperationArgs<K extends OperationName> = v.InferOutput<(typeof OPERATIONS)[K]['args']>;

/** One function per operation: what a client calls and what an engine implements. */
export type Operations = { [K in OperationName]: (...args: OperationArgs<K>) => Promise<OperationResults[K]> };

/** The engine's whole API: the operations plus the job-event stream. */
export interface EngineApi extends Operations {
  /** Subscribe to job events; returns an unsubscribe function. */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** Subscribe to batch events (every page sees the one batch); returns an unsubscribe function. */
  onBatchEvent(listener: (event: BatchEvent) => void): () => void;
}

/**
 * One function per operation of `table`, each forwarding its name and arguments to `call`: how a client or
 * a relay gets the table's typed methods (the one place names become methods, hence the one cast).
 */
export function operationsFrom(call: (op: string, args: unknown[]) => Promise<unknown>, table: OperationTable = OPERATIONS): Operations {
  return Object.fromEntries(Object.keys(table).map((op) => [op, (...args: unknown[]) => call(op, args)])) as unknown as Operations;
}

/** Runs the engine method named `op` with arguments `parseArgs` has checked (the one dynamic dispatch). */
export function invokeChecked(engine: object, op: string, args: unknown[]): Promise<unknown> {
  const method = (engine as Record<string, unknown>)[op];
  if (typeof method !== 'function') return Promise.reject(new ApiError('ENGINE_FAILURE', `the engine has no operation ${op}`));
  return Promise.resolve(method.apply(engine, args));
}

export function isOperation(name: unknown, table: OperationTable = OPERATIONS): name is string {
  return typeof name === 'string' && Object.hasOwn(table, name);
}

/** `op`'s arguments checked against its schemas, or the problem: a message naming the argument. */
export function parseArgs(op: string, args: unknown, table: OperationTable = OPERATIONS): { ok: true; args: unknown[] } | { ok: false; code: ErrorCode; message: string } {
  const entry = table[op]!;
  const r = v.safeParse(entry.args, args);
  if (r.success) return { ok: true, args: r.output };
  const issue = r.issues[0];
  const path = (issue.path ?? []).map((p) => String(p.key));
  if (path.includes('settings')) return { ok: false, code: 'BAD_SETTINGS', message: issue.message };
  const where = path.length ? `argument ${path.join('.')}` : 'arguments';
  return { ok: false, code: entry.invalid, message: `${op}: ${where}: ${issue.message}` };
}
