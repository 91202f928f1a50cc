/**
 * The Batch view's state: the folders, pairing rule, methods and output folder a person chose, the
 * preview (the engine's dry run), and the engine's one batch as its events describe it (shared/batch.ts).
 * The run's settings are the settings panel's (steps, samples, seed...), with the view's methods.
 *
 * Folders are the engine's machine's: on the desktop main's dialog gives them (`host.chooseBatchPath`);
 * in a browser the view lists the serving machine's folders (`listFolder`, inside the home folder).
 */
import { SvelteMap } from 'svelte/reactivity';
import { ADDED_PHOTO_EXTENSIONS, type BatchEvent, type BatchItem, type BatchPreview, type BatchRun, type BatchSpec, type FillProgress, type FolderListing, type PairRule, type PicksExport } from '../../electron/shared/batch';
import type { FillSettings, Method, RgbaImage } from '../../electron/shared/contract';
import type { Api } from '../../electron/shared/host';
import { METHODS, NUMBER_FIELDS, STAGE_FIELDS, type NumberSetting, type StageSetting } from '../../electron/shared/settings';
import { encodeInPage } from '../lib/encode';
import type { MaskOp } from '../lib/maskOps';
import { rasterizeMask } from '../lib/maskRender';
import { maskToRgba } from '../lib/sheet';
import type { KeyValueStore } from './settings.svelte';

/** The photo open in the editor and its mask's edits, for "Add the editor's photo". */
export interface EditorPhoto {
  name: string;
  image: RgbaImage | null;
  /** The file as opened while no result is applied to it (it then joins as itself); else null. */
  source: Uint8Array | null;
  maskOps: readonly MaskOp[];
}

export type PathField = 'images' | 'masks' | 'out';
export type OutputFormat = 'input' | 'png' | 'jpeg' | 'webp';
export type BatchTab = 'pairs' | 'results';

const STORE_KEY = 'vqddm-studio.batch.v1';

/** What a picker is choosing: a folder, or the one mask file of the "single" rule. */
export interface Picker {
  field: PathField;
  kind: 'folder' | 'file';
  listing: FolderListing | null;
  error: string | null;
}

export const FIELD_TITLE: Record<PathField, string> = {
  images: 'Choose the photos folder',
  masks: 'Choose the masks folder',
  out: 'Choose the output folder',
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const ACTIVE = new Set(['running', 'pausing', 'paused', 'stopping']);

export class BatchState {
  open = $state(false);
  images = $state('');
  masks = $state('');
  out = $state('');
  pair = $state<PairRule>('stem');
  recursive = $state(false);
  methods = $state<Method[]>([...METHODS]);
  format = $state<OutputFormat>('input');
  tab = $state<BatchTab>('pairs');

  preview = $state.raw<BatchPreview | null>(null);
  previewing = $state(false);
  run = $state.raw<BatchRun | null>(null);
  items = $state.raw<BatchItem[]>([]);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  picker = $state<Picker | null>(null);
  exported = $state.raw<PicksExport | null>(null);
  /** Ticks once a second while a run works, so elapsed time moves between events. */
  now = $state(performance.now());
  /** When the last run snapshot arrived (performance.now()). */
  private runAt = 0;
  /** Blob URLs of thumbnails by path and side. */
  readonly thumbs = new SvelteMap<string, string>();
  private thumbQueue: (() => Promise<void>)[] = [];
  private thumbsLoading = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly api: Api,
    /** The settings panel's fill settings now (the batch's methods replace its methods). */
    private readonly settings: () => FillSettings,
    private readonly store: KeyValueStore | null = null,
    /** The editor's photo now, and the mask painted over it. */
    private readonly editor: () => EditorPhoto = () => ({ name: '', image: null, source: null, maskOps: [] }),
  ) {
    try {
      const saved = JSON.parse(store?.getItem(STORE_KEY) ?? 'null') as Partial<Record<string, unknown>> | null;
      if (saved) {
        for (const k of ['images', 'masks', 'out'] as const) if (typeof saved[k] === 'string') this[k] = saved[k];
        if (saved.pair === 'stem' || saved.pair === 'suffix' || saved.pair === 'single' || saved.pair === 'alpha') this.pair = saved.pair;
        if (typeof saved.recursive === 'boolean') this.recursive = saved.recursive;
      }
    } catch {
      // stored choices are a convenience
    }
  }

  /** Subscribes to the engine's batch events and picks up a batch already running (a reloaded page). */
  async init(): Promise<void> {
    this.api.onBatchEvent((e) => this.handle(e));
    try {
      const status = await this.api.batchStatus();
      if (status.run) {
        this.setRun(status.run);
        this.items = status.items;
        this.tab = 'results';
      }
    } catch {
      // no engine yet: the editor says so
    }
  }

  get host(): 'electron' | 'browser' {
    return this.api.host.kind;
  }

  get active(): boolean {
    return this.run !== null && ACTIVE.has(this.run.status);
  }

  /** The masks field is used by the rule: a folder (same name) or a file (one mask). */
  get masksKind(): 'folder' | 'file' | null {
    return this.pair === 'stem' ? 'folder' : this.pair === 'single' ? 'file' : null;
  }

  /** Working time of the run up to now, ms. */
  get elapsedMs(): number {
    if (!this.run) return 0;
    const moving = this.run.status === 'running' || this.run.status === 'pausing';
    return this.run.elapsedMs + (moving ? Math.max(0, this.now - this.runAt) : 0);
  }

  get estimateMs(): number | null {
    if (!this.run || this.run.estimateMs === null) return null;
    const moving = this.run.status === 'running' || this.run.status === 'pausing';
    return Math.max(0, this.run.estimateMs - (moving ? this.now - this.runAt : 0));
  }

  /**
   * Finished items of this run plus the item in progress's share (its finished fills, and the sampling of
   * each fill in progress: an item's fills run side by side), as a fraction of the run.
   */
  get fraction(): number {
    const r = this.run;
    if (!r || r.total === 0) return r ? 1 : 0;
    const c = r.current;
    let part = 0;
    if (c) {
      const units = this.items.find((i) => i.key === c.item)?.units ?? [];
      for (const m of this.runMethods) {
        const f = this.fillOf(c.item, m);
        if (f) part += f.stage === 'sampling' && f.total > 0 ? f.step / f.total : 0;
        else if (units.some((u) => u.method === m && u.state === 'done')) part += 1;
      }
      part /= this.runMethods.length;
    }
    return Math.min(1, (r.finished + part) / r.total);
  }

  get runMethods(): Method[] {
    return this.run?.spec.settings.methods ?? this.methods;
  }

  /** The progress of item `key`'s fill by `method`, while it runs. */
  fillOf(key: string, method: Method): FillProgress | undefined {
    const c = this.run?.current;
    return c?.item === key ? c.fills.find((f) => f.method === method) : undefined;
  }

  get picked(): number {
    return this.items.filter((i) => i.pick).length;
  }

  get failedItems(): number {
    return this.items.filter((i) => i.state === 'failed').length;
  }

  spec(): BatchSpec {
    const s = this.settings();
    return {
      images: this.images.trim(),
      masks: this.masksKind ? this.masks.trim() || null : null,
      pair: this.pair,
      recursive: this.recursive,
      out: this.out.trim(),
      settings: { ...s, methods: METHODS.filter((m) => this.methods.includes(m)) },
      format: this.format === 'input' ? null : this.format,
    };
  }

  private remember(): void {
    try {
      this.store?.setItem(STORE_KEY, JSON.stringify({ images: this.images, masks: this.masks, out: this.out, pair: this.pair, recursive: this.recursive }));
    } catch {
      // storage full or blocked
    }
  }

  /** A change of folders or rule: the preview no longer describes them. */
  changed(): void {
    this.preview = null;
    this.remember();
  }

  toggleMethod(m: Method, on: boolean): void {
    const set = new Set(this.methods);
    if (on) set.add(m);
    else if (set.size > 1) set.delete(m);
    else this.notice = 'At least one method runs';
    this.methods = METHODS.filter((x) => set.has(x));
    this.preview = null;
  }

  // ---- folders --------------------------------------------------------------------------------------

  /** Chooses a folder (or the mask file): the desktop's dialog, or the serving machine's listing. */
  async choose(field: PathField): Promise<void> {
    const kind = field === 'masks' && this.pair === 'single' ? 'file' : 'folder';
    if (this.host === 'electron') {
      try {
        const path = await this.api.host.chooseBatchPath({ title: kind === 'file' ? 'Choose the mask for every photo' : FIELD_TITLE[field], kind });
        if (path) this.setPath(field, path);
      } catch (e) {
        this.error = message(e);
      }
      return;
    }
    this.picker = { field, kind, listing: null, error: null };
    const start = this[field].trim();
    await this.browse(start ? (kind === 'file' ? parentOf(start) : start) : null, true);
  }

  /** Lists a folder in the picker; `fallback`: a path that cannot be listed opens the home folder instead. */
  async browse(path: string | null, fallback = false): Promise<void> {
    if (!this.picker) return;
    try {
      const listing = await this.api.listFolder(path);
      if (this.picker) this.picker = { ...this.picker, listing, error: null };
    } catch (e) {
      if (!this.picker) return;
      if (fallback && path !== null) {
        await this.browse(null);
        if (this.picker) this.picker = { ...this.picker, error: message(e) };
      } else this.picker = { ...this.picker, error: message(e) };
    }
  }

  /** The picker's choice: its folder, or a file in it. */
  usePicked(file?: string): void {
    const p = this.picker;
    if (!p?.listing) return;
    const path = file ? `${p.listing.path}${p.listing.path.endsWith(p.listing.sep) ? '' : p.listing.sep}${file}` : p.listing.path;
    this.setPath(p.field, path);
    this.picker = null;
  }

  setPath(field: PathField, path: string): void {
    this[field] = path;
    this.changed();
  }

  // ---- the preview and the run ----------------------------------------------------------------------

  /** What is missing before a preview or a start, as a sentence; null when all is chosen. */
  get missing(): string | null {
    if (!this.images.trim()) return 'Choose the photos folder';
    if (this.masksKind === 'folder' && !this.masks.trim()) return 'Choose the masks folder';
    if (this.masksKind === 'file' && !this.masks.trim()) return 'Choose the mask file';
    if (!this.out.trim()) return 'Choose the output folder';
    return null;
  }

  async refreshPreview(): Promise<void> {
    if (this.missing) {
      this.error = this.missing;
      return;
    }
    this.previewing = true;
    this.error = null;
    try {
      this.preview = await this.api.batchPreview(this.spec());
      this.tab = 'pairs';
      this.remember();
    } catch (e) {
      this.preview = null;
      this.error = message(e);
    } finally {
      this.previewing = false;
    }
  }

  /** Starts the chosen batch; `again`: the last run's batch as it was (resume, retry failed). */
  async start(options: { retryFailed?: boolean; again?: boolean } = {}): Promise<void> {
    if (!options.again && this.missing) {
      this.error = this.missing;
      return;
    }
    const spec = options.again && this.run ? this.run.spec : this.spec();
    this.error = null;
    this.exported = null;
    try {
      const status = await this.api.batchStart(spec, { retryFailed: options.retryFailed === true });
      this.items = status.items;
      if (status.run) this.setRun(status.run);
      this.tab = 'results';
      this.remember();
    } catch (e) {
      this.error = message(e);
    }
  }

  async control(action: 'pause' | 'resume' | 'stop'): Promise<void> {
    try {
      this.setRun(await this.api.batchControl(action));
    } catch (e) {
      this.error = message(e);
    }
  }

  /** Marks `method` as the better result of an item, or clears the mark when it is already the pick. */
  async pick(item: BatchItem, method: Method): Promise<void> {
    const now = this.items.find((i) => i.key === item.key) ?? item;
    const next = now.pick === method ? null : method;
    // Shown at once (a second press reads it); the engine's answer, or the old mark on a refusal, follows.
    this.replaceItem({ ...now, pick: next });
    try {
      this.replaceItem(await this.api.batchPick(item.key, next));
    } catch (e) {
      this.replaceItem({ ...now });
      this.error = message(e);
    }
  }

  /** Why the editor's photo cannot be added now, or null. */
  get addProblem(): string | null {
    if (!this.editor().image) return 'Open a photo in the editor and paint its mask first';
    if (this.pair !== 'stem' && this.pair !== 'suffix') return 'A painted mask joins a batch by the same-name or the beside-the-photo rule';
    if (!this.images.trim()) return 'Choose the photos folder first';
    if (this.pair === 'stem' && !this.masks.trim()) return 'Choose the masks folder first';
    return null;
  }

  /**
   * Adds the photo open in the editor and the mask painted over it to the batch's folders, then previews
   * again. The photo joins as the file it was opened from (a JPEG stays a JPEG, with its metadata and
   * depth), or as a PNG of its pixels now once results were applied to it.
   */
  async addFromEditor(): Promise<void> {
    const problem = this.addProblem;
    if (problem) {
      this.error = problem;
      return;
    }
    const { name, image, source, maskOps } = this.editor();
    const mask = rasterizeMask(maskOps, image!.width, image!.height);
    if (!mask.data.some((v) => v >= 128)) {
      this.error = 'The mask is empty: paint over the part to fill first';
      return;
    }
    const png = async (im: RgbaImage) => (await encodeInPage(im, 'png', 100)) ?? (await this.api.encodeImage(im, 'png', 100));
    const stem = (name || 'photo').replace(/\.[^.]+$/, '').replace(/[/\\\0]/g, '_').replace(/^\.+/, '') || 'photo';
    const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
    const asOpened = source && (ADDED_PHOTO_EXTENSIONS as readonly string[]).includes(ext) ? source : null;
    try {
      const added = await this.api.batchAddPhoto({
        images: this.images.trim(), masks: this.pair === 'stem' ? this.masks.trim() : null, pair: this.pair as 'stem' | 'suffix',
        name: `${stem.slice(0, 190)}.${asOpened ? ext : 'png'}`, photo: asOpened ?? (await png(image!)), mask: await png(maskToRgba(mask)),
      });
      this.notice = `Added ${added.photo} and its mask ${added.mask}`;
      if (!this.missing) await this.refreshPreview();
    } catch (e) {
      this.error = message(e);
    }
  }

  /** Shows the output folder in the file manager (desktop). */
  async showOut(): Promise<void> {
    if (!this.run) return;
    try {
      await this.api.host.openBatchFolder(this.run.out);
    } catch (e) {
      this.error = message(e);
    }
  }

  async exportPicks(): Promise<void> {
    try {
      this.exported = await this.api.batchExportPicks(null);
      const n = this.exported.written.length;
      this.notice = `Exported ${n} file${n === 1 ? '' : 's'} to ${this.exported.dest}${this.exported.unchanged ? ` (${this.exported.unchanged} already there)` : ''}`;
    } catch (e) {
      this.error = message(e);
    }
  }

  // ---- events ---------------------------------------------------------------------------------------

  handle(e: BatchEvent): void {
    this.setRun(e.run);
    if (e.kind === 'item') this.replaceItem(e.item);
  }

  private setRun(run: BatchRun): void {
    // A new run (another page started it): its items come with its status.
    const fresh = this.run?.id !== run.id;
    this.run = run;
    this.runAt = performance.now();
    this.now = this.runAt;
    if (fresh) void this.api.batchStatus().then((s) => s.run?.id === run.id && (this.items = s.items), () => undefined);
    const moving = ACTIVE.has(run.status);
    if (moving && !this.timer) this.timer = setInterval(() => (this.now = performance.now()), 1000);
    if (!moving && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private replaceItem(item: BatchItem): void {
    const i = this.items.findIndex((x) => x.key === item.key);
    if (i < 0) return;
    // A unit done again (after a stop) wrote its files again: their thumbnails are old.
    for (const u of item.units) if (u.state === 'done' && this.items[i]!.units.find((o) => o.method === u.method)?.state !== 'done') u.outputs.forEach((p) => this.forgetThumbs(p));
    this.items = [...this.items.slice(0, i), item, ...this.items.slice(i + 1)];
  }

  // ---- thumbnails -----------------------------------------------------------------------------------

  /** A thumbnail's blob URL once loaded (see `loadThumb`), else undefined. */
  thumbUrl(path: string, side: number): string | undefined {
    return this.thumbs.get(`${side}:${path}`) || undefined;
  }

  /** Loads a thumbnail (a few at a time) unless it is loaded or on its way; call from an effect. */
  loadThumb(path: string, side: number): void {
    const key = `${side}:${path}`;
    if (this.thumbs.has(key)) return;
    this.thumbs.set(key, '');
    this.thumbQueue.push(async () => {
      try {
        const t = await this.api.thumbnail(path, side);
        this.thumbs.set(key, URL.createObjectURL(new Blob([t.jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' })));
      } catch {
        // shown as a blank tile; the item's own line says what is wrong
      }
    });
    this.pumpThumbs();
  }

  /** Forgets thumbnails of `path` (an output written again). */
  forgetThumbs(path: string): void {
    for (const [k, url] of this.thumbs) {
      if (!k.endsWith(`:${path}`)) continue;
      if (url) URL.revokeObjectURL(url);
      this.thumbs.delete(k);
    }
  }

  private pumpThumbs(): void {
    while (this.thumbsLoading < 3 && this.thumbQueue.length) {
      const job = this.thumbQueue.shift()!;
      this.thumbsLoading++;
      void job().finally(() => {
        this.thumbsLoading--;
        this.pumpThumbs();
      });
    }
  }
}

/** The fill settings among the settings panel's values, as plain data (no seed drawn: the batch's base seed is the shown one). */
export function batchSettings(values: FillSettings): FillSettings {
  const out = { methods: [...values.methods] } as FillSettings;
  for (const k of Object.keys(NUMBER_FIELDS) as NumberSetting[]) out[k] = values[k];
  for (const k of Object.keys(STAGE_FIELDS) as StageSetting[]) out[k] = values[k];
  return out;
}

function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : path;
}
