/**
 * The app's batch (issue 9, "in the app"): the argument schemas of its engine operations and the types
 * its results and events carry. The run itself is the CLI's (`electron/cli/batch/`), driven by
 * `electron/engine/batchService.ts`; one batch at a time per engine. Pure TypeScript (the page imports it).
 *
 * Paths are the serving machine's. In serve mode every folder and file must be inside the home folder of
 * the user running the server (refused with a message otherwise); on the desktop, folders come from
 * main's folder dialog.
 */
import * as v from 'valibot';
import type { JobStage } from './contract.js';
import { fillSettingsSchema, METHODS, type Method } from './settings.js';

export const PAIR_RULES = ['stem', 'suffix', 'single', 'alpha'] as const;
export type PairRule = (typeof PAIR_RULES)[number];

/** What each rule means, for the page. */
export const PAIR_RULE_LABEL: Record<PairRule, string> = {
  stem: 'Same name in a masks folder (IMG_1.jpg ↔ masks/IMG_1.png)',
  suffix: 'Beside the photo: IMG_1_mask.png or IMG_1.mask.png',
  single: 'One mask file for every photo',
  alpha: "The photo's own transparency (transparent = fill)",
};

/** A path on the serving machine: absolute, no NUL. Whether it may be used is the engine's check. */
export const pathSchema = v.pipe(
  v.string('a path must be a string'),
  v.minLength(1, 'a path may not be empty'),
  v.maxLength(4096, 'a path may be at most 4096 characters'),
  v.check((p) => !p.includes('\0'), 'a path may not hold a NUL character'),
);

export const batchSpecSchema = v.object({
  /** The photos folder. */
  images: pathSchema,
  /** A masks folder (`stem`) or one mask file (`single`); null for `suffix` and `alpha`. */
  masks: v.nullable(pathSchema),
  pair: v.picklist(PAIR_RULES, `the pairing rule must be one of ${PAIR_RULES.join(', ')}`),
  recursive: v.boolean('recursive must be true or false'),
  /** The output folder: made when missing; never a photos, masks folder. */
  out: pathSchema,
  /** The fill settings; `methods` are the batch's methods, `seed` its base seed. */
  settings: fillSettingsSchema,
  /** null: each result in its photo's format (JPEG stays JPEG, PNG stays PNG). */
  format: v.nullable(v.picklist(['png', 'jpeg', 'webp'], 'the format must be png, jpeg or webp')),
});

/** A batch: its folders, pairing rule, settings and output format. */
export type BatchSpec = v.InferOutput<typeof batchSpecSchema>;

export const BATCH_ACTIONS = ['pause', 'resume', 'stop'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

export const batchStartSchema = v.object({
  /** Rerun only the items whose record says failed. */
  retryFailed: v.boolean('retryFailed must be true or false'),
});

/** A record line's item key: the photo's path relative to the photos folder. */
export const itemKeySchema = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
export const pickSchema = v.nullable(v.picklist(METHODS, `a pick is one of ${METHODS.join(', ')}, or null`));

/** The photo formats a photo joins a batch in, by extension (the file as it was opened). */
export const ADDED_PHOTO_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'avif', 'gif'] as const;

/**
 * A photo and the mask painted over it in the editor, added to a batch's folders (`batchAddPhoto`): the
 * photo into the photos folder as `name` (the file as opened, so a JPEG stays a JPEG with its metadata
 * and depth; or a PNG of the editor's pixels once results were applied), its mask into the masks folder
 * as `<stem>.png` (same-name rule) or beside the photo as `<stem>_mask.png` (suffix rule), a PNG.
 */
export const batchAddSchema = v.object({
  images: pathSchema,
  masks: v.nullable(pathSchema),
  pair: v.picklist(['stem', 'suffix'], 'a painted mask joins a batch by the same-name or the beside-the-photo rule'),
  name: v.pipe(v.string(), v.regex(new RegExp(`^[^/\\\\\\0.][^/\\\\\\0]{0,199}\\.(${ADDED_PHOTO_EXTENSIONS.join('|')})$`, 'i'), `the photo's name is a file name ending in .${ADDED_PHOTO_EXTENSIONS.join(', .')}, without a folder`)),
  photo: v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'the photo must be bytes (Uint8Array)'),
  mask: v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'the mask must be bytes (Uint8Array)'),
});
export type BatchAddRequest = v.InferOutput<typeof batchAddSchema>;

/** What `batchAddPhoto` wrote (or found there already, the same bytes). */
export interface BatchAdded {
  photo: string;
  mask: string;
}

export const THUMB_MIN = 16;
export const THUMB_MAX = 2048;
export const thumbSideSchema = v.pipe(v.number(), v.integer(), v.minValue(THUMB_MIN, `a thumbnail is ${THUMB_MIN} to ${THUMB_MAX} pixels`), v.maxValue(THUMB_MAX, `a thumbnail is ${THUMB_MIN} to ${THUMB_MAX} pixels`));

/** One folder's contents, for the page's folder picker (serve mode). */
export interface FolderListing {
  /** The folder, absolute (symbolic links resolved). */
  path: string;
  /** Its parent, or null at the top the picker may reach (the home folder in serve mode). */
  parent: string | null;
  /** The top the picker may reach, or null where any folder may be used (the desktop). */
  root: string | null;
  /** The path separator of the serving machine. */
  sep: string;
  /** Sub-folders (hidden ones left out), sorted. */
  folders: string[];
  /** Image files, sorted. */
  images: string[];
  /** More entries than listed (the lists stop at 2000). */
  truncated: boolean;
}

/** One pair of the preview list: the dry run's line. */
export interface PreviewPair {
  /** The photo's path relative to the photos folder: the item's name. */
  item: string;
  photo: string;
  mask: string | null;
  rule: PairRule;
  /** `WxH` as displayed (EXIF orientation applied); null when unreadable. */
  size: string | null;
  /** Said of a usable pair, e.g. that its mask was resized. */
  note: string | null;
  /** ready: would be filled; done: the record says so and its files decode; problem: would fail. */
  status: 'ready' | 'done' | 'problem';
  problem: string | null;
}

export interface BatchPreview {
  rule: PairRule;
  pairs: PreviewPair[];
  /** Masks no photo claims. */
  orphans: string[];
  /** Files in the output folder no record of this batch wrote: the run would refuse to start. */
  inTheWay: string[];
  counts: { ready: number; done: number; problems: number };
  /** The output folder already holds a batch record (a start continues it). */
  recorded: boolean;
  /** Why a start would be refused (another batch in the output folder, a file in the way), or null. */
  refusal: string | null;
}

/**
 * A unit's state in the view: waiting (this run will do it), running, done (this run), failed, earlier
 * (done by an earlier run: its files decode), idle (not part of this run: retry-failed leaves it).
 */
export type UnitState = 'waiting' | 'running' | 'done' | 'failed' | 'earlier' | 'idle';

export interface BatchUnit {
  method: Method;
  state: UnitState;
  /** Output files, absolute. */
  outputs: string[];
  /** Fill time, ms (done units). */
  fillMs: number | null;
  error: string | null;
}

export interface BatchItem {
  /** The photo's path relative to the photos folder. */
  key: string;
  photo: string;
  mask: string | null;
  state: UnitState;
  /** One per method of the batch, in its order. */
  units: BatchUnit[];
  /** The method a person marked as the better result, or null. */
  pick: Method | null;
  /** Why the item failed (its first error). */
  error: string | null;
}

export type BatchRunStatus = 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'finished';

export interface BatchRun {
  /** Counts up per start in this engine. */
  id: number;
  spec: BatchSpec;
  /** The output folder as resolved. */
  out: string;
  retryFailed: boolean;
  status: BatchRunStatus;
  /** Items this run fills. */
  total: number;
  /** Items of this run finished (done or failed). */
  finished: number;
  failed: number;
  /** Items done by an earlier run. */
  earlier: number;
  /** Working time so far, ms (pauses left out). */
  elapsedMs: number;
  /** Working time still needed, from the time per finished item; null before the first. */
  estimateMs: number | null;
  /** The item in progress, and its fills in progress (an item's fills, one per method, run side by side). */
  current: { item: string; fills: FillProgress[] } | null;
  /** Why the run stopped, or what it ended with. */
  message: string | null;
}

/** A fill in progress: its method, and its stage and step there. */
export interface FillProgress {
  method: Method;
  stage: JobStage;
  step: number;
  total: number;
}

/** What `batchStatus` and `batchStart` return: the run (null before the first) and its items. */
export interface BatchStatus {
  run: BatchRun | null;
  items: BatchItem[];
}

/** Events of the batch, to every page of the engine (one batch at a time; a reloaded page reattaches). */
export type BatchEvent =
  | { kind: 'run'; run: BatchRun }
  | { kind: 'item'; run: BatchRun; item: BatchItem }
  | { kind: 'step'; run: BatchRun };

/** What `thumbnail` returns: a JPEG no larger than the side asked for (EXIF orientation applied). */
export interface Thumbnail {
  width: number;
  height: number;
  jpeg: Uint8Array;
}

/** What `batchExportPicks` returns. */
export interface PicksExport {
  /** The folder written to. */
  dest: string;
  /** Files written (absolute). */
  written: string[];
  /** Picked files already there with the same bytes (an export done before). */
  unchanged: number;
  /** Items picked whose result is not done. */
  missing: string[];
}
