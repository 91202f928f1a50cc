import type { EngineInfo, ImageFormat, Method, MethodResult, RgbaImage } from '../../electron/shared/contract';
import type { Api, MenuCommand, OpenedFile, RecentEntry } from '../../electron/shared/host';
import { decodeInPage } from '../lib/decode';
import { fillWork, methodUnits, rateFrom, rateKey, type Rate } from '../lib/eta';
import { encodeInPage } from '../lib/encode';
import { buildFillRequest } from '../lib/fillRequest';
import { canvasToRgba, maskedPatches, toAppliedPatches } from '../lib/images';
import { embeddedProfile, savableFormat } from '../lib/imageKind';
import type { MaskOp } from '../lib/maskOps';
import { rasterizeMask } from '../lib/maskRender';
import { withChangedFlags } from '../lib/savedEdits';
import { PROJECT_EXT, readProject, writeProject } from '../lib/project';
import type { SavedEntry } from '../lib/savedEntry';
import { replayRecovery, type Recovery } from '../lib/recovery';
import { restoredEntries } from '../lib/recoveryEntries';
import type { RecoveryBackend } from '../lib/recoveryStore';
import { entriesMask, entryName, resultEntries, type FillMask } from '../lib/resultEntries';
import { comparisonSheet, maskToRgba } from '../lib/sheet';
import { isZip } from '../lib/zip';
import { Autosave } from './autosave.svelte';
import { BeforeAfterState } from './beforeAfter.svelte';
import { CompareState } from './compare.svelte';
import { DocumentState } from './document.svelte';
import { FillQueue, type WaitingFill } from './fillQueue.svelte';
import { EditHistory } from './history.svelte';
import { JobTracker } from './jobs.svelte';
import { RateBook } from './rates';
import { ResultHistory } from './results.svelte';
import { SettingsState, type KeyValueStore } from './settings.svelte';
import { maxBrushSize, ToolState } from './tools.svelte';
import { ViewState } from './view.svelte';

const EXT: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };
const FORMAT_NAME: Record<ImageFormat, string> = { png: 'PNG image', jpeg: 'JPEG image', webp: 'WebP image' };

function message(e: unknown): string {
  if (e instanceof Error) return 'code' in e ? `${e.message} (${String((e as { code: unknown }).code)})` : e.message;
  return String(e);
}

/** A choice in the confirmation dialog; Escape answers 'cancel'. */
export type Answer = 'save' | 'discard' | 'cancel' | 'restore';
export interface Choice {
  answer: Answer;
  label: string;
}
/** Replacing a photo with unsaved edits. */
export const REPLACE_CHOICES: Choice[] = [
  { answer: 'save', label: 'Save first' },
  { answer: 'discard', label: 'Discard changes' },
  { answer: 'cancel', label: 'Cancel' },
];
/** Saving a 16-bit photo in a format of 8 bits. */
const EIGHT_BIT_CHOICES: Choice[] = [
  { answer: 'save', label: 'Save at 8 bits' },
  { answer: 'cancel', label: 'Cancel' },
];
/** A recovery copy found at start. */
export const RESTORE_CHOICES: Choice[] = [
  { answer: 'restore', label: 'Restore' },
  { answer: 'discard', label: 'Discard' },
];

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** The whole editor: owns the sub-states and the actions that span them. Components call these. */
export class AppState {
  readonly settings: SettingsState;
  readonly history = new EditHistory();
  readonly jobs = new JobTracker();
  readonly view = new ViewState();
  readonly doc = new DocumentState();
  readonly tools: ToolState;
  readonly compare = new CompareState();
  /** Fills asked for while one runs, started in turn. */
  readonly queue = new FillQueue();
  /** Every fill's samples for the open photo, until dismissed (the history strip). */
  readonly results = new ResultHistory();
  /** The original shown over the applied results (held, or the wipe). */
  readonly beforeAfter = new BeforeAfterState();
  /** Applied results are in effect: there is an original to compare the photo with. */
  hasApplied = $derived(this.history.done.some((e) => e.kind === 'apply'));
  info = $state.raw<EngineInfo | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  busy = $state<string | null>(null);
  recent = $state.raw<RecentEntry[]>([]);
  /** The keyboard shortcuts sheet (`?`) is open. */
  shortcutsOpen = $state(false);
  /** Bumped to ask the canvas to fit the image to the window. */
  fitRequest = $state(0);

  readonly api: Api;
  /** The recovery copy of the open document (IndexedDB), written after changes and on close. */
  readonly autosave: Autosave;
  /** Measured fill speeds, for the time-left estimate. */
  readonly rates: RateBook;

  constructor(api: Api, store: KeyValueStore | null, recovery: RecoveryBackend | null = null) {
    this.api = api;
    this.settings = new SettingsState(store);
    this.tools = new ToolState(this.settings);
    this.rates = new RateBook(store);
    this.autosave = new Autosave(recovery, () => ({
      done: this.history.done,
      undone: this.history.undone,
      savedId: this.history.savedId,
      settings: $state.snapshot(this.settings.values) as unknown as Record<string, unknown>,
      entries: this.results.entries,
    }));
  }

  async init(): Promise<void> {
    this.api.onJobEvent((e) => {
      this.jobs.handle(e);
      const job = this.jobs.current;
      if (job && job.jobId === e.jobId && e.stage === 'done') {
        this.recordRate(e.method, e.result, e.elapsedMs);
        this.recordResult(e.result);
      }
      const ended = e.method === null && (e.stage === 'finished' || e.stage === 'canceled' || e.stage === 'error');
      if (ended && this.fillMask?.jobId === e.jobId) this.fillMask = null;
      // With fills waiting, the results stay in the history strip and the next fill starts.
      if (job && job.jobId === e.jobId && e.stage === 'finished' && job.results.length && !this.queue.waiting.length) {
        this.compare.reset(job.results, this.doc.width, this.doc.height);
        this.compare.show();
      }
      if (e.stage === 'error') this.error = `Fill failed: ${e.error.message} (${e.error.code})`;
      if (ended && job?.jobId === e.jobId) void this.startNext();
    });
    this.api.host.onMenuCommand((c, arg) => this.command(c, arg));
    await this.run('Loading the model pack…', async () => {
      const dir = this.settings.values.packDir;
      if (dir) {
        try {
          this.info = await this.api.loadPack(dir);
        } catch (e) {
          // The chosen pack is gone or broken: say so, and carry on with the shipped one.
          this.settings.update({ packDir: '' });
          this.info = await this.api.info();
          throw e;
        }
      } else this.info = await this.api.info();
      this.fitSettingsToPack();
    });
    void this.refreshRecent();
    if (this.info) await this.offerRestore();
  }

  /** A recovery copy with edits or results in it is left from the last session (reload, crash): offer it back. */
  async offerRestore(): Promise<void> {
    const rec = await this.autosave.load();
    if (!rec || this.doc.loaded) return;
    const { done, undone, savedAt, savedIndex } = rec.state;
    const results = rec.state.entries?.length ?? 0;
    if (!done.length && !undone.length && !results) return;
    const applied = done.filter((e) => e.kind === 'apply').length;
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    const what = `${plural(done.length, 'edit')}${applied ? ` (${plural(applied, 'applied result')})` : ''}${undone.length ? ` and ${undone.length} to redo` : ''}${results ? `, ${plural(results, 'result')} in the results history` : ''}`;
    const saved = savedIndex === done.length ? 'They were saved to a file.' : 'The last changes were not saved to a file.';
    const a = await this.ask('Restore your work?', `${rec.doc.name}: ${what}, kept at ${time(savedAt)}. ${saved}`, RESTORE_CHOICES);
    if (a === 'restore') await this.restore(rec);
    else if (a === 'discard') await this.autosave.discard();
    // Escape keeps the copy until another photo is edited.
  }

  /**
   * Reopens the recovery copy's file and replays its history over it, its results history with it; a
   * project file (`project`: its results history) is reopened the same way, but is not in the recovery
   * storage yet.
   */
  async restore(rec: Recovery, project?: SavedEntry[]): Promise<void> {
    await this.run(`Restoring ${rec.doc.name}…`, async () => {
      const decoded = await this.decode(rec.doc.bytes);
      const { image, canvas } = decoded;
      const history = replayRecovery(image, rec);
      // The page's decoded canvas holds the file's pixels: drawn again when applied results changed them.
      const applied = history.done.some((e) => e.kind === 'apply');
      this.doc.load(rec.doc.name, rec.doc.path, image, rec.doc.bytes, applied, applied ? undefined : canvas);
      this.afterLoad(image, rec.doc.bytes, decoded);
      this.history.restore(history.done, history.undone, rec.state.savedIndex);
      const entries = project ?? restoredEntries(rec.state.entries ?? [], rec.entryPixels ?? new Map());
      if (entries.length) this.results.restore(entries);
      const { packDir: _, ...settings } = rec.state.settings;
      this.settings.update(settings);
      this.autosave.begin(rec.doc, project ? undefined : rec);
      const what = `${project ? 'Opened the project of' : 'Restored'} ${rec.doc.name}`;
      this.notice = history.complete ? what : `${what}; part of its history could not be read back`;
    });
  }

  command(c: MenuCommand, arg?: string): void {
    const actions: Record<MenuCommand, () => unknown> = {
      open: () => this.openDialog(),
      openRecent: () => arg && this.openRecent(arg),
      save: () => this.save(this.doc.saveFormat, !this.doc.path),
      saveAs: () => this.save(this.doc.saveFormat, true),
      exportMask: () => this.exportMask(),
      exportSheet: () => this.exportSheet(),
      undo: () => this.undo(),
      redo: () => this.redo(),
      fill: () => this.fill(),
      fit: () => this.fitView(),
      actualSize: () => this.actualSize(),
    };
    void actions[c]();
  }

  /** Run an action, showing failures in the window instead of losing them. */
  async run<T>(label: string | null, fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = label;
    try {
      return await fn();
    } catch (e) {
      this.error = message(e);
      return undefined;
    } finally {
      this.busy = null;
    }
  }

  /**
   * The pack's own defaults (steps from its quality/speed curve, truncation and top-k from its validation
   * photos) for each setting the person has not set; steps saved for another pack may also exceed this
   * pack's T: its default then too.
   */
  private fitSettingsToPack(): void {
    if (!this.info) return;
    const { steps, fromPack } = this.settings.values;
    const owned = steps > this.info.T && !fromPack.includes('steps') ? [...fromPack, 'steps' as const] : fromPack;
    this.settings.update({ ...Object.fromEntries(owned.map((k) => [k, this.info!.defaults[k]])), fromPack: owned });
  }

  /** Every setting back to its default; steps to the loaded pack's own default. */
  resetSettings(): void {
    this.settings.reset();
    this.fitSettingsToPack();
  }

  async refreshRecent(): Promise<void> {
    this.recent = await this.api.host.listRecent().catch(() => []);
  }

  /** The question the confirmation dialog shows, and who waits for its answer. */
  question = $state.raw<{ title: string; detail: string; choices: Choice[]; resolve: (a: Answer) => void } | null>(null);

  /** Asks the person (ConfirmDialog); resolves with their choice. */
  ask(title: string, detail: string, choices: Choice[] = REPLACE_CHOICES): Promise<Answer> {
    this.question?.resolve('cancel');
    return new Promise((resolve) => (this.question = { title, detail, choices, resolve }));
  }

  answer(a: Answer): void {
    const q = this.question;
    this.question = null;
    q?.resolve(a);
  }

  /**
   * True when the open photo may be replaced by `name`: it has no unsaved edits, or the person saved them
   * (Save first) or chose to discard them.
   */
  private async mayReplace(name: string): Promise<boolean> {
    if (!this.doc.loaded || !this.history.dirty) return true;
    const a = await this.ask(`Replace ${this.doc.name}?`, `Its changes are not saved. Opening ${name} closes it.`);
    if (a === 'cancel') return false;
    if (a === 'save') await this.save(this.doc.saveFormat, false);
    return !this.history.dirty || a === 'discard';
  }

  private get maxPixels(): number {
    return this.info?.maxPixels ?? 100_000_000;
  }

  private get minSide(): number {
    return this.info?.minSide ?? 16;
  }

  /** Decodes a file in the page where it can (8 bits), else in the engine (which says how many bits the file stores). */
  private async decode(bytes: Uint8Array): Promise<{ image: RgbaImage; canvas?: HTMLCanvasElement; bits: number }> {
    const decoded = await decodeInPage(bytes, this.maxPixels, this.minSide);
    if (decoded) return { ...decoded, bits: 8 };
    const { bits, ...image } = await this.api.decodeImage(bytes);
    return { image, bits };
  }

  /** What follows loading a photo into the document, opened or restored. */
  private afterLoad(image: RgbaImage, bytes: Uint8Array, decoded: { canvas?: HTMLCanvasElement; bits: number }): void {
    this.doc.opened = { bits: decoded.bits, inPage: decoded.canvas !== undefined };
    // A JPEG is offered as JPEG, a PNG as PNG...; other formats as last chosen, but PNG for a file of more
    // than 8 bits (the one format the editor writes at 16).
    this.doc.saveFormat = savableFormat(bytes) ?? (decoded.bits > 8 ? 'png' : this.settings.values.saveFormat);
    this.tools.maxSize = maxBrushSize(image.width, image.height);
    this.tools.setSize(this.tools.size);
    this.history.reset();
    this.results.reset();
    this.beforeAfter.reset();
    this.fillMask = null;
    this.queue.clear();
    this.jobs.clear();
    this.compare.close();
    this.error = null;
    this.fitRequest++;
  }

  async openFile(file: OpenedFile): Promise<void> {
    if (isZip(file.bytes)) return this.openProject(file);
    if (!(await this.mayReplace(file.name))) return;
    await this.run(`Opening ${file.name}…`, async () => {
      const decoded = await this.decode(file.bytes);
      this.doc.load(file.name, file.path, decoded.image, file.bytes, false, decoded.canvas);
      this.afterLoad(decoded.image, file.bytes, decoded);
      this.autosave.begin({ name: file.name, path: file.path, bytes: file.bytes, openedAt: Date.now() });
      await this.api.host.addRecent(file);
      await this.refreshRecent();
    });
  }

  /** A project file (`.vqddm`): the photo with its edits, results history and settings. */
  private async openProject(file: OpenedFile): Promise<void> {
    if (!(await this.mayReplace(file.name))) return;
    let project: ReturnType<typeof readProject>;
    try {
      project = readProject(file.bytes);
    } catch (e) {
      this.error = `${file.name}: ${message(e)}`;
      return;
    }
    await this.restore(project.recovery, project.entries);
  }

  /** The open photo as opened, its edit and results histories and the settings, as one `.vqddm` file. */
  async saveProject(): Promise<void> {
    const source = this.autosave.source;
    if (!source || !this.doc.loaded) return;
    await this.run('Saving the project…', async () => {
      const bytes = writeProject({
        name: source.name,
        bytes: source.bytes,
        done: this.history.done,
        undone: this.history.undone,
        savedId: this.history.savedId,
        settings: $state.snapshot(this.settings.values) as unknown as Record<string, unknown>,
        entries: this.results.entries,
      });
      const res = await this.api.host.saveFile({ suggestedName: `${this.doc.baseName()}.${PROJECT_EXT}`, bytes, filter: { name: 'VQ-DDM Studio project', extensions: [PROJECT_EXT] } });
      if (res) this.notice = `Saved ${res.name}`;
    });
  }

  async openDialog(): Promise<void> {
    const file = await this.run(null, () => this.api.host.openImageDialog());
    if (file) await this.openFile(file);
  }

  async openRecent(id: string): Promise<void> {
    const file = await this.run(null, () => this.api.host.openRecent(id));
    if (file) await this.openFile(file);
  }

  fitView(): void {
    this.view.fit(this.doc.width, this.doc.height, this.view.viewW, this.view.viewH);
  }

  actualSize(): void {
    this.view.actualSize(this.view.viewW, this.view.viewH);
  }

  addMaskOp(op: MaskOp): void {
    if (this.doc.loaded) this.history.push({ kind: 'mask', op });
  }

  undo(): void {
    const e = this.history.undo();
    if (e?.kind === 'apply') this.doc.writePatches(e.patches, 'before');
  }

  redo(): void {
    const e = this.history.redo();
    if (e?.kind === 'apply') this.doc.writePatches(e.patches, 'after');
  }

  /**
   * True from a fill's start until the engine has its job: a Fill meanwhile (a double click, or pressed as
   * a waiting fill is sent) waits in the queue, or is named a duplicate, like any Fill while one runs.
   */
  starting = $state(false);
  /** The running (or last started) fill's number, as the queue numbers its own (Fill 3). */
  runningFill = $state<number | null>(null);
  /** Fills started from this page; job ids are this page's own (the engine scopes them to it). */
  private fillCount = 0;
  /** The running fill's mask (the window sent), for its results' history entries. */
  private fillMask: (FillMask & { jobId: string }) | null = null;

  /** A fill is being started or is running. */
  get filling(): boolean {
    return this.starting || this.jobs.running;
  }
  /** The running fill's key (WaitingFill.key): the same Fill again is not queued behind it. */
  private runningKey: string | null = null;

  /**
   * Fill the masked area; while a fill runs, this one waits in the queue with its own copy of the mask
   * and settings. The same fill (mask and settings but the seed) as the running or a waiting one is not
   * queued again: a double click on Fill starts one.
   */
  async fill(newSeed = false): Promise<void> {
    const image = this.doc.image;
    if (!image) return;
    const key = newSeed ? null : `${this.history.currentId} ${JSON.stringify({ ...$state.snapshot(this.settings.values), seed: 0 })}`;
    if (this.filling && key !== null && (key === this.runningKey || this.queue.has(key))) {
      this.notice = 'This fill is already running or waiting: change the mask or a setting to queue another.';
      return;
    }
    const mask = rasterizeMask(this.history.maskOps, image.width, image.height);
    let maskedPx = 0;
    for (let i = 0; i < mask.data.length; i++) if (mask.data[i]! >= 128) maskedPx++;
    if (!maskedPx) {
      this.error = 'Paint a mask over the part to fill first.';
      return;
    }
    // The page names the job before asking for it, so no event of it can arrive unrecognised.
    const n = ++this.fillCount;
    const f: WaitingFill = { jobId: `fill-${n}`, n, mask, settings: this.settings.forFill(newSeed, this.info?.T), maskedPx, key, queuedAt: Date.now() };
    if (this.filling) this.queue.add(f);
    else await this.start(f);
  }

  /** The next waiting fill, if any, now that the running one ended. */
  private async startNext(): Promise<void> {
    const next = this.queue.take();
    if (next) await this.start(next);
  }

  private async start(f: WaitingFill): Promise<void> {
    const image = this.doc.image;
    if (!image) return;
    const { jobId, mask, settings } = f;
    // Only the window of the photo the fill reads crosses to the engine; patches come back in photo pixels.
    const imageSize = this.info ? this.info.grid * this.info.downsample : Math.max(image.width, image.height);
    const request = buildFillRequest(image, mask, settings, imageSize);
    if (!request) return;
    this.compare.close();
    this.error = null;
    if (f.maskedPx === mask.data.length) {
      this.notice = 'The whole photo is masked: nothing is left to fill from, so each method makes up a picture of its own.';
    }
    // What the time-left estimate works from: the crops planned, and each method's speed last time.
    const work = this.info ? fillWork(mask, this.info) : null;
    const rates: Partial<Record<Method, Rate>> = {};
    for (const m of settings.methods) rates[m] = this.info ? this.rates.get(rateKey(this.info.packName, m, settings, work)) : undefined;
    this.jobs.begin(jobId, settings.methods, { work, steps: settings.steps, rates });
    this.runningKey = f.key;
    this.runningFill = f.n;
    // Kept until the job ends: each result's entries in the history keep the mask under their patches.
    this.fillMask = { jobId, mask: request.mask, x: request.frame?.x ?? 0, y: request.frame?.y ?? 0 };
    this.starting = true;
    try {
      const queued = await this.run(null, async () => {
        await this.api.fill(request, jobId);
        return true;
      });
      if (!queued) {
        this.jobs.clear();
        this.fillMask = null;
      }
    } finally {
      this.starting = false;
    }
    if (!this.jobs.current) await this.startNext();
  }

  /** A method finished: its speed, for the next fill's time-left estimate. */
  private recordRate(method: Method, result: MethodResult, elapsedMs: number): void {
    const job = this.jobs.current;
    const work = job?.plan.work;
    if (!job || !work || !this.info) return;
    // Per unit of the page's own plan of the work (not the engine's count), which the next estimate uses:
    // where the plan counts more tokens than the transformer samples (overlapping crops), it cancels out.
    const rate = rateFrom(result, elapsedMs, methodUnits(method, work, result.settings.steps), work.areaMpx);
    if (rate) this.rates.record(rateKey(this.info.packName, method, result.settings, work), rate);
  }

  /** A method's samples join the results history. */
  private recordResult(result: MethodResult): void {
    const m = this.fillMask;
    const photo = this.doc.canvas;
    if (m && photo && m.jobId === this.jobs.current?.jobId) this.results.add(m.jobId, resultEntries(result, m, photo));
  }

  /** Puts a history entry's pixels back into the photo, where its own mask was (undoable). */
  applyEntry(id: number): void {
    const [e] = this.results.full([id]);
    const image = this.doc.image;
    if (!e || !image) return;
    const patches = maskedPatches(image, e.patches);
    this.doc.writePatches(patches, 'after');
    this.history.push({ kind: 'apply', label: `Apply ${entryName(e)}`, patches });
    this.compare.close();
  }

  /** History entries side by side in the compare view. */
  compareEntries(ids: readonly number[]): void {
    const shown = this.results.full(ids);
    if (shown.length < 2) return;
    this.compare.showEntries(shown.map((e) => e.id), shown.flatMap((e) => e.patches), this.doc.width, this.doc.height);
  }

  dismissEntries(ids: readonly number[]): void {
    this.results.dismiss(ids);
    const left = this.compare.entries?.filter((id) => !ids.includes(id));
    if (!left) return;
    this.compare.entries = left;
    if (this.compare.open && !left.length) this.compare.close();
  }

  async cancel(): Promise<void> {
    const job = this.jobs.current;
    if (job && job.status === 'running') await this.run(null, () => this.api.cancel(job.jobId));
  }

  result(method: Method): MethodResult | undefined {
    return this.jobs.current?.results.find((r) => r.method === method);
  }

  apply(method: Method): void {
    const r = this.result(method);
    const image = this.doc.image;
    if (!r || !image) return;
    const sample = r.samples[this.compare.sampleOf(method)] ?? r.samples[0];
    if (!sample) return;
    const patches = toAppliedPatches(image, sample.patches);
    this.doc.writePatches(patches, 'after');
    this.history.push({ kind: 'apply', label: `Apply ${method}`, patches });
    // The results stay (Show results, other samples, the comparison sheet, also after an undo): each
    // result's patches hold whole regions, so applying another one replaces the first, it does not stack.
    this.compare.close();
  }

  /** Encodes in the page where it can (large photos never cross to the engine), else in the engine. */
  private async encode(image: RgbaImage, format: ImageFormat, quality: number): Promise<Uint8Array> {
    return (await encodeInPage(image, format, quality)) ?? this.api.encodeImage(image, format, quality);
  }

  /** The format Save offers for the open photo; chosen in the Save popover, also remembered for photos in other formats. */
  setSaveFormat(format: ImageFormat): void {
    this.doc.saveFormat = format;
    this.settings.update({ saveFormat: format });
  }

  async save(format: ImageFormat = this.doc.saveFormat, saveAs = true): Promise<void> {
    const source = this.doc.source;
    if (!this.doc.image || !source) return;
    // The engine writes the edits into the file as opened, at its depth and in its colour space, its profile
    // and EXIF kept (orientation reset to 1): every opened file, not only those the page's 8-bit sRGB pixels
    // do not hold (more than 8 bits, translucency, CMYK, a colour profile), since a canvas writes no EXIF.
    // Not slower: a 12 MP JPEG, a stroke filled and applied, saved in 0.5 s as JPEG and 0.7 s as PNG through
    // the engine, 1.25 s and 1.4 s encoded in the page (canvas.toBlob; Chromium, serve mode, 2 busy cores).
    // A file of more than 8 bits keeps them as PNG; other formats hold 8, which the person is told before
    // anything is written.
    const { bits, inPage } = this.doc.opened;
    const profile = inPage && embeddedProfile(source);
    const deep = bits > 8;
    if (deep && format !== 'png') {
      const a = await this.ask(
        `Save as ${FORMAT_NAME[format]} at 8 bits?`,
        `${this.doc.name} stores ${bits} bits per channel. ${FORMAT_NAME[format]}s hold 8 bits per channel, so its extra depth is not kept; saving as PNG keeps it.`,
        EIGHT_BIT_CHOICES,
      );
      if (a !== 'save') return;
    }
    await this.run('Saving…', async () => {
      const quality = format === 'png' ? 100 : this.settings.values.quality;
      const region = this.doc.editedRegion();
      const edit = region && inPage ? await withChangedFlags(region, source, this.maxPixels, this.minSide) : region;
      const bytes = await this.api.encodeEdited(source, edit, format, quality);
      const samePath = !saveAs && this.doc.path && this.doc.path.toLowerCase().endsWith(`.${EXT[format]}`);
      const res = await this.api.host.saveFile({
        suggestedName: `${this.doc.baseName()}-filled.${EXT[format]}`,
        bytes,
        path: samePath ? this.doc.path : undefined,
        filter: { name: FORMAT_NAME[format], extensions: [EXT[format]] },
      });
      if (!res) return;
      this.history.markSaved();
      if (res.path) this.doc.path = res.path;
      const depth = deep ? (format === 'png' ? ` (${bits} bits per channel, as opened)` : ' (8 bits per channel)') : '';
      this.notice = `Saved ${res.name}${depth}${profile ? ', its colour profile kept' : ''}`;
    });
  }

  async exportMask(): Promise<void> {
    const image = this.doc.image;
    if (!image) return;
    const mask = rasterizeMask(this.history.maskOps, image.width, image.height);
    if (!mask.data.some((v) => v >= 128)) {
      this.error = 'The mask is empty: paint over the part to fill before exporting it.';
      return;
    }
    await this.run('Exporting the mask…', async () => {
      const bytes = await this.encode(maskToRgba(mask), 'png', 100);
      const name = `${this.doc.baseName()}-mask.png`;
      const res = await this.api.host.saveFile({ suggestedName: name, bytes, filter: { name: 'PNG image', extensions: ['png'] } });
      if (res) this.notice = `Saved ${res.name}`;
    });
  }

  async exportSheet(): Promise<void> {
    const image = this.doc.image;
    const job = this.jobs.current;
    if (!image || !job || !job.results.length) return;
    await this.run('Exporting the comparison sheet…', async () => {
      const mask = maskToRgba(rasterizeMask(this.history.maskOps, image.width, image.height));
      const results = job.results.map((result) => ({ result, sample: this.compare.sampleOf(result.method) }));
      await this.savePng(canvasToRgba(comparisonSheet(image, mask, results)), `${this.doc.baseName()}-comparison.png`);
    });
  }

  /**
   * The comparison sheet of history entries, each as applying it would leave the photo now; the mask
   * tile shows where any of them filled (their masks differ when the mask was edited between fills).
   */
  async exportEntriesSheet(ids: readonly number[]): Promise<void> {
    const image = this.doc.image;
    const shown = this.results.full(ids);
    if (!image || !shown.length) return;
    await this.run('Exporting the comparison sheet…', async () => {
      const mask = maskToRgba(entriesMask(shown, image.width, image.height));
      const results = shown.map((e) => {
        const patches = maskedPatches(image, e.patches).map((a) => ({ x: a.x, y: a.y, image: { width: a.width, height: a.height, data: a.after } }));
        return { result: { ...e.result, samples: [{ seed: e.result.settings.seed, patches }] }, sample: 0 };
      });
      const sheet = comparisonSheet(image, mask, results);
      await this.savePng(canvasToRgba(sheet), `${this.doc.baseName()}-history.png`);
    });
  }

  private async savePng(image: RgbaImage, name: string): Promise<void> {
    const bytes = await this.encode(image, 'png', 100);
    const res = await this.api.host.saveFile({ suggestedName: name, bytes, filter: { name: 'PNG image', extensions: ['png'] } });
    if (res) this.notice = `Saved ${res.name}`;
  }

  async choosePack(dir?: string): Promise<void> {
    const chosen = dir ?? (await this.run(null, () => this.api.host.choosePackFolder()));
    if (chosen === null || chosen === undefined) return;
    await this.run('Loading the model pack…', async () => {
      this.info = await this.api.loadPack(chosen);
      this.settings.update({ packDir: chosen });
      this.fitSettingsToPack();
      this.notice = `Loaded pack ${this.info.packName}`;
    });
  }
}
