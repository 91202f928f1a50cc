/**
 * The app's batch: the engine operations behind the Batch view (shared/batch.ts), on the CLI's batch code
 * (`electron/cli/batch/`: pairing, the dry run's inspection, the run record, durable outputs, resume,
 * `runBatch` itself), so a batch started in the app is the same batch as `vqddm batch` with the same
 * folders and settings: the same files, record and seeds, and either may continue the other's run.
 *
 * One batch at a time per engine. Its fills go through the engine's job queue one model run at a time,
 * taking turns with the editor's fills. Its events go to every page (a reloaded page reattaches with
 * `batchStatus`). Pause lets the fill in progress finish and waits before the next item; stop ends the
 * fill in progress between two model calls (its unit stays "started" in the record, so the next start
 * does it again) and ends the run; a start on the same output folder resumes.
 */
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ApiError, type Method } from '../shared/contract.js';
import type { ADDED_PHOTO_EXTENSIONS, BatchAction, BatchAddRequest, BatchAdded, BatchEvent, BatchItem, BatchPreview, BatchRun, FillProgress, BatchSpec, BatchStatus, BatchUnit, FolderListing, PicksExport, Thumbnail, UnitState } from '../shared/batch.js';
import { inspectPairs } from '../cli/batch/dryRun.js';
import { writeDurably } from '../cli/batch/durable.js';
import { orientedSize } from '../cli/batch/inspect.js';
import type { BatchOptions } from '../cli/batch/options.js';
import { absolute } from '../cli/batch/output.js';
import { pairPhotos } from '../cli/batch/pairing.js';
import { checkInfo, type RecordLine } from '../cli/batch/record.js';
import { runBatch } from '../cli/batch/run.js';
import { batchInfoOf, openRun, prepareOut, type OpenRun } from '../cli/batch/session.js';
import { FolderScope } from './batch/folders.js';
import { appendPick, exportPicks, readPicks } from './batch/picks.js';
import type { Engine } from './engine.js';

/** What sharp calls each format a photo may join a batch in, by its extension (shared/batch.ts). */
const ADDED_PHOTO_FORMAT: Record<(typeof ADDED_PHOTO_EXTENSIONS)[number], string> = { png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', tif: 'tiff', tiff: 'tiff', avif: 'heif', gif: 'gif' };

export interface BatchServiceOptions {
  /** The engine now loaded (a pack switch replaces it; it is refused while a batch runs). */
  engine: () => Engine;
  /** Runs a model job in the engine's one-at-a-time queue; `signal` aborts when the queue cancels it. */
  exclusive: <T>(work: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /** The folder every batch path must lie in (serve: the home folder); null: any (the desktop). */
  root: string | null;
}

/** Puts a fill's progress into the run's item in progress (a new item's from its first fill). */
function setFill(run: BatchRun, item: string, progress: FillProgress): void {
  if (run.current?.item !== item) run.current = { item, fills: [] };
  run.current.fills = [...run.current.fills.filter((f) => f.method !== progress.method), progress];
}

/** The CLI's option names in its messages, as the Batch view calls them. */
export function appWording(message: string): string {
  return message
    .replace(/rerun with its options or choose another --out/g, 'start it with the settings it was made with, or choose another output folder')
    .replace(/rerun the same command( to (resume|go on))?/g, 'start it again to go on')
    .replace(/--out: /g, 'The output folder: ')
    .replace(/--out\b/g, 'the output folder')
    .replace(/--images: /g, 'The photos folder: ')
    .replace(/--images\b/g, 'the photos folder')
    .replace(/--masks\b/g, 'the masks folder')
    .replace(/--pair (\w+)/g, 'the "$1" pairing rule');
}

const asApi = (err: unknown): ApiError => {
  if (err instanceof ApiError) return new ApiError(err.code, appWording(err.message));
  return new ApiError('ENGINE_FAILURE', appWording(err instanceof Error ? err.message : String(err)));
};

const ACTIVE = new Set(['running', 'pausing', 'paused', 'stopping']);
const exists = (path: string) => access(path).then(() => true, () => false);

/** An item's state from its units'. */
function itemState(units: BatchUnit[]): UnitState {
  const has = (s: UnitState) => units.some((u) => u.state === s);
  if (has('running')) return 'running';
  if (has('failed')) return 'failed';
  if (has('waiting')) return 'waiting';
  if (units.every((u) => u.state === 'earlier')) return 'earlier';
  if (units.every((u) => u.state === 'done' || u.state === 'earlier')) return 'done';
  return 'idle';
}

interface Live {
  run: BatchRun;
  options: BatchOptions;
  items: Map<string, BatchItem>;
  order: string[];
  controller: AbortController;
  /** Resolves the pause's wait; set while paused. */
  resume: (() => void) | null;
  pauseWanted: boolean;
  stopWanted: boolean;
  /** Working time before the current stretch, and when it began (null while paused or ended). */
  activeMs: number;
  activeSince: number | null;
  /** The run's loop; resolves when it has ended and its record is closed. */
  done: Promise<void>;
  lastStep: number;
}

export class BatchService {
  private readonly listeners = new Set<(e: BatchEvent) => void>();
  private live: Live | null = null;
  private nextId = 1;
  /** Record appends (the run's lines and picks) one after another. */
  private chain: Promise<unknown> = Promise.resolve();
  private scopeP: Promise<FolderScope>;

  constructor(private readonly o: BatchServiceOptions) {
    this.scopeP = FolderScope.create(o.root, homedir());
  }

  /** A batch is running, pausing, paused or stopping (a pack switch would pull the engine from under it). */
  get active(): boolean {
    return this.live !== null && ACTIVE.has(this.live.run.status);
  }

  subscribe(listener: (e: BatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: BatchEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A failing subscriber must not stop the batch or the other subscribers.
      }
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const p = this.chain.then(work, work);
    this.chain = p.catch(() => undefined);
    return p;
  }

  // ---- the operations (arguments checked against shared/operations.ts where they arrived) --------------

  async listFolder(path: string | null): Promise<FolderListing> {
    return (await this.scopeP).list(path);
  }

  async thumbnail(path: string, side: number): Promise<Thumbnail> {
    return (await this.scopeP).thumbnail(path, side);
  }

  /** The spec as the CLI's options, every folder checked against the scope; the output folder made when `make`. */
  private async options(spec: BatchSpec, retryFailed: boolean, make: boolean): Promise<BatchOptions> {
    const scope = await this.scopeP;
    const images = await scope.existing(spec.images, 'The photos folder', 'folder');
    let masks: string | null = null;
    if (spec.pair === 'stem') {
      if (!spec.masks) throw new ApiError('BAD_REQUEST', 'The "same name" rule needs a masks folder: choose one');
      masks = await scope.existing(spec.masks, 'The masks folder', 'folder');
      if (masks === images) throw new ApiError('BAD_REQUEST', 'The masks folder is the photos folder: with masks beside the photos, choose the rule "beside the photo" (IMG_1_mask.png)');
    } else if (spec.pair === 'single') {
      if (!spec.masks) throw new ApiError('BAD_REQUEST', 'The "one mask" rule needs the mask file: choose one');
      masks = await scope.existing(spec.masks, 'The mask file', 'file');
    }
    const out = await scope.writable(spec.out, 'The output folder', make);
    for (const [name, dir] of [['photos', images], ['masks', spec.pair === 'stem' ? masks : null]] as const) {
      if (dir === out) throw new ApiError('BAD_REQUEST', `The output folder is the ${name} folder ${dir}; results go to a folder of their own: choose another output folder`);
    }
    const { methods, ...settings } = spec.settings;
    return {
      images, masks, pair: spec.pair, out, recursive: spec.recursive, methods, settings, format: spec.format, quality: null,
      masksOut: false, sheets: false, inPlaceSuffix: null, reference: null, shard: { k: 1, n: 1 }, dryRun: false, retryFailed, json: false, report: null,
      pack: this.o.engine().info().packDir, device: 'auto',
    };
  }

  private async pairing(o: BatchOptions) {
    const pairing = await pairPhotos({ images: o.images, masks: o.masks, pair: o.pair, recursive: o.recursive, skip: [o.out, o.masks ?? ''], inPlaceSuffix: null });
    if (pairing.items.length === 0) throw new ApiError('BAD_REQUEST', `No photos (png, jpg, webp, tiff, avif, gif) in ${o.images}${o.recursive ? ' or its sub-folders' : ''}`);
    return pairing;
  }

  async batchPreview(spec: BatchSpec): Promise<BatchPreview> {
    try {
      const o = await this.options(spec, false, false);
      const { items, orphans } = await this.pairing(o);
      const { pairs, conflicts } = await inspectPairs(o, items);
      // Another batch in the output folder would refuse the start: said now.
      let refusal: string | null = null;
      try {
        await checkInfo(o.out, batchInfoOf(this.o.engine(), o).info);
      } catch (err) {
        refusal = asApi(err).message;
      }
      if (!refusal && conflicts.length) refusal = `${conflicts[0]} already exists and no record of this batch wrote it${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ''}; nothing is written over: move it or choose another output folder`;
      const count = (s: string) => pairs.filter((p) => p.status === s).length;
      return {
        rule: o.pair,
        pairs: pairs.map((p) => ({ item: p.item, photo: p.photo, mask: p.mask, rule: o.pair, size: p.size, note: p.note, status: p.status, problem: p.problem && appWording(p.problem) })),
        orphans,
        inTheWay: conflicts,
        counts: { ready: count('ready'), done: count('done'), problems: count('problem') },
        recorded: await exists(join(o.out, 'batch.json')),
        refusal,
      };
    } catch (err) {
      throw asApi(err);
    }
  }

  async batchStart(spec: BatchSpec, opts: { retryFailed: boolean }): Promise<BatchStatus> {
    if (this.active) throw new ApiError('BAD_REQUEST', 'A batch is already running: stop it before starting another');
    let opened: OpenRun;
    let o: BatchOptions;
    let tag: string;
    try {
      o = await this.options(spec, opts.retryFailed, true);
      const items = (await this.pairing(o)).items;
      tag = await prepareOut(o, items);
      opened = await openRun(this.o.engine(), o, items, tag);
    } catch (err) {
      throw asApi(err);
    }
    const picks = await readPicks(o.out);
    const live = this.begin(spec, o, opened, picks);
    live.done = this.loop(live, opened, tag);
    return this.batchStatus();
  }

  /** The run's state from its plans: what each unit will do, and what earlier runs did. */
  private begin(spec: BatchSpec, o: BatchOptions, opened: OpenRun, picks: Map<string, Method | null>): Live {
    const items = new Map<string, BatchItem>();
    let total = 0;
    let earlier = 0;
    for (const plan of opened.plans) {
      const units: BatchUnit[] = plan.units.map((u) => {
        const prior = u.prior;
        const state: UnitState = u.action === 'skip' ? 'earlier' : u.action === 'run' ? 'waiting' : 'idle';
        const outputs = (u.action === 'skip' ? prior!.outputs : u.outputs).map((rel) => absolute(o.out, rel));
        return { method: u.task as Method, state, outputs, fillMs: u.action === 'skip' ? (prior?.ms?.fill ?? null) : null, error: u.action === 'pending' && prior?.status === 'failed' ? (prior.error?.message ?? null) : null };
      });
      const item: BatchItem = { key: plan.item.key, photo: plan.item.photo, mask: plan.item.mask, state: itemState(units), units, pick: picks.get(plan.item.key) ?? null, error: null };
      items.set(item.key, item);
      if (plan.units.some((u) => u.action === 'run')) total++;
      else if (plan.units.every((u) => u.action === 'skip')) earlier++;
    }
    const run: BatchRun = {
      id: this.nextId++, spec, out: o.out, retryFailed: o.retryFailed, status: 'running', total, finished: 0, failed: 0, earlier,
      elapsedMs: 0, estimateMs: null, current: null, message: null,
    };
    const live: Live = {
      run, options: o, items, order: opened.plans.map((p) => p.item.key), controller: new AbortController(), resume: null,
      pauseWanted: false, stopWanted: false, activeMs: 0, activeSince: performance.now(), done: Promise.resolve(), lastStep: 0,
    };
    this.live = live;
    this.emit({ kind: 'run', run: this.timed(live) });
    return live;
  }

  /** The run with its times brought up to now. */
  private timed(live: Live): BatchRun {
    const elapsed = live.activeMs + (live.activeSince === null ? 0 : performance.now() - live.activeSince);
    const r = live.run;
    r.elapsedMs = elapsed;
    r.estimateMs = r.finished > 0 && ACTIVE.has(r.status) ? (elapsed / r.finished) * (r.total - r.finished) : null;
    return { ...r, current: r.current && { item: r.current.item, fills: r.current.fills.map((f) => ({ ...f })) } };
  }

  private itemEvent(live: Live, item: BatchItem): void {
    item.state = itemState(item.units);
    this.emit({ kind: 'item', run: this.timed(live), item: structuredClone(item) });
  }

  /** A record line the run appends: written (in turn with picks), then shown. */
  private async onLine(live: Live, out: string, append: (line: RecordLine) => Promise<void>, line: RecordLine): Promise<void> {
    await this.serial(() => append(line));
    const item = live.items.get(line.item);
    const unit = item?.units.find((u) => u.method === line.method);
    if (!item || !unit) return;
    if (line.status !== 'started' && live.run.current?.item === item.key) {
      live.run.current.fills = live.run.current.fills.filter((f) => f.method !== unit.method);
    }
    if (line.status === 'started') {
      unit.state = 'running';
      setFill(live.run, item.key, { method: unit.method, stage: 'encoding', step: 0, total: 0 });
    } else if (line.status === 'done') {
      unit.state = 'done';
      unit.outputs = line.outputs.map((rel) => absolute(out, rel));
      unit.fillMs = line.ms?.fill ?? null;
      unit.error = null;
    } else if (line.status === 'failed') {
      unit.state = 'failed';
      unit.error = line.error ? appWording(line.error.message) : 'failed';
      item.error ??= unit.error;
    } else return;
    this.itemEvent(live, item);
  }

  private async loop(live: Live, opened: OpenRun, tag: string): Promise<void> {
    const o = live.options;
    const engine = this.o.engine();
    try {
      const result = await runBatch(
        {
          engine: { plan: (...a) => engine.plan(...a), run: (...a) => engine.run(...a), manifest: engine.manifest },
          // an item's fills are one job of the engine's queue: they take turns with the editor's fills as one
          together: (run) => this.o.exclusive((signal) => run(signal)),
          settings: opened.settings,
          out: o.out,
          quality: null,
          reference: null,
          log: { append: (line) => this.onLine(live, o.out, (l) => opened.log.append(l), line) },
          state: opened.state,
          tag,
          shard: '1/1',
          appVersion: opened.info.app.version,
          progress: {
            working: () => undefined,
            itemFinished: (key, ok) => {
              live.run.finished++;
              if (!ok) live.run.failed++;
              live.run.current = null;
              const item = live.items.get(key);
              if (item) this.itemEvent(live, item);
            },
          },
          signal: live.controller.signal,
          onStep: (item, method, stage, step, total) => {
            const changed = live.run.current?.item !== item || live.run.current.fills.find((f) => f.method === method)?.stage !== stage;
            setFill(live.run, item, { method, stage, step, total });
            const now = performance.now();
            if (!changed && now - live.lastStep < 100 && step !== total) return;
            live.lastStep = now;
            this.emit({ kind: 'step', run: this.timed(live) });
          },
          beforeItem: () => this.beforeItem(live),
        },
        opened.plans,
      );
      this.pauseClock(live);
      const r = live.run;
      r.current = null;
      // Units of a stopped fill are left as started in the record; in the view they wait again.
      for (const item of live.items.values()) {
        let changed = false;
        for (const u of item.units) if (u.state === 'running') [u.state, changed] = ['waiting', true];
        if (changed) this.itemEvent(live, item);
      }
      if (result.stopped) {
        r.status = 'stopped';
        r.message = appWording(result.stopped.replace(/^stopped: /, 'Stopped: '));
      } else {
        r.status = 'finished';
        const done = r.finished - r.failed;
        r.message = `Finished: ${done} item${done === 1 ? '' : 's'} done, ${r.failed} failed${r.earlier ? `, ${r.earlier} done before` : ''}${r.total === 0 ? ' (nothing left to do)' : ''}`;
      }
    } catch (err) {
      this.pauseClock(live);
      live.run.status = 'stopped';
      live.run.current = null;
      live.run.message = `Stopped by an error: ${asApi(err).message}. Everything done so far is kept; start it again to go on.`;
    } finally {
      await this.serial(() => opened.log.close()).catch(() => undefined);
      this.emit({ kind: 'run', run: this.timed(live) });
    }
  }

  private pauseClock(live: Live): void {
    if (live.activeSince !== null) live.activeMs += performance.now() - live.activeSince;
    live.activeSince = null;
  }

  /** Before each item: waits while paused; false when the run should stop. */
  private async beforeItem(live: Live): Promise<boolean> {
    if (live.pauseWanted && !live.stopWanted) {
      this.pauseClock(live);
      live.run.status = 'paused';
      live.run.current = null;
      this.emit({ kind: 'run', run: this.timed(live) });
      await new Promise<void>((resolve) => (live.resume = resolve));
      live.resume = null;
      if (!live.stopWanted) {
        live.activeSince = performance.now();
        live.run.status = 'running';
        this.emit({ kind: 'run', run: this.timed(live) });
      }
    }
    return !live.stopWanted;
  }

  async batchControl(action: BatchAction): Promise<BatchRun> {
    const live = this.live;
    if (!live || !ACTIVE.has(live.run.status)) throw new ApiError('BAD_REQUEST', `No batch is running to ${action}`);
    const r = live.run;
    if (action === 'pause') {
      if (r.status === 'running') {
        live.pauseWanted = true;
        r.status = 'pausing';
      }
    } else if (action === 'resume') {
      live.pauseWanted = false;
      if (r.status === 'pausing') r.status = 'running';
      live.resume?.();
    } else {
      live.stopWanted = true;
      r.status = 'stopping';
      live.controller.abort();
      live.resume?.();
    }
    const snapshot = this.timed(live);
    this.emit({ kind: 'run', run: snapshot });
    return snapshot;
  }

  async batchStatus(): Promise<BatchStatus> {
    const live = this.live;
    if (!live) return { run: null, items: [] };
    return { run: this.timed(live), items: live.order.map((k) => structuredClone(live.items.get(k)!)) };
  }

  async batchPick(key: string, pick: Method | null): Promise<BatchItem> {
    const live = this.live;
    if (!live) throw new ApiError('BAD_REQUEST', 'No batch to pick in: start or resume one first');
    const item = live.items.get(key);
    if (!item) throw new ApiError('BAD_REQUEST', `No item ${key} in this batch`);
    if (pick) {
      const unit = item.units.find((u) => u.method === pick);
      if (!unit) throw new ApiError('BAD_REQUEST', `${key} has no ${pick} result in this batch`);
      if (unit.state !== 'done' && unit.state !== 'earlier') throw new ApiError('BAD_REQUEST', `${key}: its ${pick} result is not done`);
    }
    try {
      await this.serial(() => appendPick(live.run.out, key, pick));
    } catch (err) {
      throw new ApiError('IO_ERROR', `The pick could not be written to the record in ${live.run.out}: ${(err as Error).message}`);
    }
    item.pick = pick;
    this.itemEvent(live, item);
    return structuredClone(item);
  }

  async batchExportPicks(dest: string | null): Promise<PicksExport> {
    const live = this.live;
    if (!live) throw new ApiError('BAD_REQUEST', 'No batch to export picks from: start or resume one first');
    const scope = await this.scopeP;
    const folder = await scope.writable(dest ?? join(live.run.out, 'picks'), 'The picks folder', true);
    if ([live.options.images, live.options.masks].includes(folder)) throw new ApiError('BAD_REQUEST', `The picks folder ${folder} is an input folder: choose another`);
    if (folder === live.run.out) throw new ApiError('BAD_REQUEST', 'The picks go to a folder of their own, not the output folder itself');
    try {
      return await exportPicks(live.run.out, folder, live.order.map((k) => live.items.get(k)!), 'vqddm-picks');
    } catch (err) {
      throw asApi(err);
    }
  }

  /**
   * The editor's photo and its painted mask into a batch's folders (the same-name rule: the masks folder;
   * the beside-the-photo rule: `<stem>_mask.png` next to it). Both must be PNGs of one size and the mask
   * not empty. A file already there is left alone when it holds the same bytes, and refused otherwise.
   */
  async batchAddPhoto(r: BatchAddRequest): Promise<BatchAdded> {
    const scope = await this.scopeP;
    const images = await scope.existing(r.images, 'The photos folder', 'folder');
    let maskDir = images;
    if (r.pair === 'stem') {
      if (!r.masks) throw new ApiError('BAD_REQUEST', 'The "same name" rule needs a masks folder: choose one');
      maskDir = await scope.existing(r.masks, 'The masks folder', 'folder');
    }
    const stem = r.name.replace(/\.[^.]+$/, '');
    const photoPath = join(images, r.name);
    const maskPath = join(maskDir, r.pair === 'stem' ? `${stem}.png` : `${stem}_mask.png`);
    const png = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
    if (!png(r.mask)) throw new ApiError('BAD_IMAGE', 'The mask is sent as a PNG file');
    // The photo's bytes are of the format its name says (the batch writes each result in its photo's format).
    const format = await sharp(r.photo).metadata().then((m) => m.format, () => null);
    const ext = r.name.slice(stem.length + 1).toLowerCase();
    if (format !== ADDED_PHOTO_FORMAT[ext as keyof typeof ADDED_PHOTO_FORMAT]) throw new ApiError('BAD_IMAGE', `The photo ${r.name} is not a readable .${ext} file${format ? ` (it holds ${format})` : ''}`);
    const [p, m] = [await orientedSize(r.photo, 'the photo'), await orientedSize(r.mask, 'the mask')];
    if (p.width !== m.width || p.height !== m.height) throw new ApiError('MASK_SIZE_MISMATCH', `the mask is ${m.width}x${m.height} but the photo is ${p.width}x${p.height}`);
    const { data } = await sharp(r.mask).greyscale().raw().toBuffer({ resolveWithObject: true });
    if (!data.some((v) => v >= 128)) throw new ApiError('EMPTY_MASK', 'The mask is empty: paint over the part to fill first');
    const todo: [string, Uint8Array][] = [];
    for (const [path, bytes] of [[photoPath, r.photo], [maskPath, r.mask]] as const) {
      const there = await readFile(path).catch(() => null);
      if (there && Buffer.compare(there, bytes) === 0) continue;
      if (there) throw new ApiError('IO_ERROR', `${path} already exists (another file of that name); nothing is written over: rename the photo or move that file`);
      todo.push([path, bytes]);
    }
    try {
      for (const [path, bytes] of todo) await writeDurably(path, bytes, 'vqddm-add');
    } catch (err) {
      throw new ApiError('IO_ERROR', `Cannot write into the batch's folders: ${(err as Error).message}`);
    }
    return { photo: photoPath, mask: maskPath };
  }

  /** Stops a running batch and waits for its record to be closed. */
  async dispose(): Promise<void> {
    const live = this.live;
    if (!live) return;
    if (ACTIVE.has(live.run.status)) await this.batchControl('stop').catch(() => undefined);
    await live.done;
  }
}
