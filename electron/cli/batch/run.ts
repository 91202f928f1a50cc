/**
 * The batch loop: one engine, items in order, the next item read, decoded and its fill planned while the
 * current one samples (unless `pipeline` is false: the bench's one-item-at-a-time baseline). Each unit
 * (an item's method, its mask export or its sheet) is recorded as started, filled, its files written whole
 * (temporary name, fsync, rename), then recorded as done: a kill at any instant loses at most the unit in
 * progress, which the rerun does again. One bad item fails alone; 5 in a row, or a write the
 * output folder refuses, stop the run with everything done so far intact.
 */
import sharp from 'sharp';
import { ApiError, type FillSettings, type JobStage, type MaskImage, type Method } from '../../shared/contract.js';
import type { DecodedImage } from '../../engine/image/codec.js';
import { decodeImage } from '../../engine/image/codec.js';
import type { Pixels } from '../../engine/image/pixels.js';
import type { Engine, FillPlan } from '../../engine/engine.js';
import { applyPatches } from '../../engine/pipeline.js';
import { RegionBases } from '../../engine/regionBases.js';
import { describeWriteError, isFatalWriteError, writeDurably } from './durable.js';
import { encodeResult, outputQuality, readSourceMeta, type SourceMeta } from './encode.js';
import { decodeReference, findReference, MaskReader, readInput, sha256 } from './inspect.js';
import { score, seam, type Scores } from './metrics.js';
import { absolute } from './output.js';
import type { Progress } from './progress.js';
import { unitKey, type RecordLine, type RecordLog, type UnitStatus } from './record.js';
import type { ItemPlan, UnitPlan } from './select.js';
import { itemSheet } from './sheet.js';

/** Items failing one after another before the run stops: a fault of the run, not of an item. */
export const MAX_FAILURES_IN_A_ROW = 5;

export interface RunContext {
  /** The engine (the app's runs each fill through its job queue, so they take turns with the editor's). */
  engine: Pick<Engine, 'plan' | 'run' | 'manifest'>;
  /** The batch's settings: its methods, its base seed. */
  settings: FillSettings;
  out: string;
  quality: number | null;
  reference: string | null;
  log: Pick<RecordLog, 'append'>;
  /** Each unit's latest line, updated as lines are appended. */
  state: Map<string, RecordLine>;
  tag: string;
  shard: string;
  appVersion: string;
  progress: Pick<Progress, 'working' | 'itemFinished'>;
  /** Aborted: the fill in progress stops between model calls, its unit stays "started" (a rerun redoes it), and the run stops. */
  signal?: AbortSignal;
  /** Each model call of a fill (the app's per-item step progress). */
  onStep?: (item: string, method: Method, stage: JobStage, step: number, total: number) => void;
  /** Awaited before each item (the app's pause waits here); false stops the run before the item. */
  beforeItem?: () => Promise<boolean>;
  /** false: an item is read, decoded and planned only once the one before is finished (default true). */
  pipeline?: boolean;
  /**
   * Runs an item's fills, which run side by side, as one piece of work (the app: one job of its queue, whose
   * signal then stops them too); without it they just run.
   */
  together?: <T>(run: (signal?: AbortSignal) => Promise<T>) => Promise<T>;
}

export interface RunResult {
  /** Outcome per item key. */
  outcomes: Map<string, 'done' | 'skipped' | 'failed' | 'pending'>;
  stopped: string | null;
  failures: { item: string; method: string; message: string }[];
}

interface Prepared {
  sha: string;
  image: DecodedImage;
  mask: MaskImage;
  note: string | null;
  source: SourceMeta;
  plan: FillPlan;
  reference: Pixels | null;
  referenceError: string | null;
  ms: number;
}

type Preparation = { ok: true; p: Prepared } | { ok: false; sha: string | null; error: ApiError };

/** The run was stopped (`RunContext.signal`): the unit in progress is left as started. */
class Stopped extends Error {}

/** A write the output folder refused: the run stops. */
class WriteFailure extends Error {
  constructor(readonly path: string, override readonly cause: unknown) {
    super(`cannot write ${path}: ${describeWriteError(cause)}`);
  }
}

const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError('ENGINE_FAILURE', (err instanceof Error ? err.message : String(err)).split('\n')[0]);

async function prepare(ctx: RunContext, masks: MaskReader, work: ItemPlan): Promise<Preparation> {
  const t0 = performance.now();
  const { item } = work;
  let sha: string | null = null;
  try {
    if (item.problem) throw new ApiError('BAD_REQUEST', item.problem);
    const bytes = await readInput(item.photo, 'photo');
    sha = sha256(bytes);
    // In the photo's own colour space: written back with its profile, unmasked pixels keep their values.
    const image = await decodeImage(bytes, `the photo ${item.photo}`, undefined, { ownColourSpace: true });
    const { width, height } = image.pixels;
    const [{ mask, note }, source] = await Promise.all([masks.maskFor(item, width, height, image), readSourceMeta(bytes)]);
    const plan = ctx.engine.plan(image.pixels, mask, { ...ctx.settings, seed: work.seed });
    let reference: Pixels | null = null;
    let referenceError: string | null = null;
    if (ctx.reference) {
      try {
        reference = await decodeReference(await findReference(ctx.reference, item), width, height);
      } catch (err) {
        referenceError = asApiError(err).message;
      }
    }
    return { ok: true, p: { sha, image, mask, note, source, plan, reference, referenceError, ms: performance.now() - t0 } };
  } catch (err) {
    return { ok: false, sha, error: asApiError(err) };
  }
}

/** The alpha rule fills transparent pixels: they become opaque; alpha is kept only where some stays translucent. */
function opaqueWhereFilled(pixels: Pixels, mask: MaskImage): boolean {
  const max = pixels.data instanceof Uint16Array ? 65535 : 255;
  let translucent = false;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] >= 128) pixels.data[i * 4 + 3] = max;
    else if (pixels.data[i * 4 + 3] !== max) translucent = true;
  }
  return translucent;
}

const meanScores = (all: Scores[]): Scores => ({
  psnr_db: all.reduce((s, x) => s + x.psnr_db, 0) / all.length,
  ssim: all.reduce((s, x) => s + x.ssim, 0) / all.length,
  seam: all.reduce((s, x) => s + x.seam, 0) / all.length,
});

async function writeFiles(ctx: RunContext, files: { rel: string; data: Buffer }[]): Promise<void> {
  for (const f of files) {
    const path = absolute(ctx.out, f.rel);
    try {
      await writeDurably(path, f.data, ctx.tag);
    } catch (err) {
      throw new WriteFailure(path, err);
    }
  }
}

async function maskPng(mask: MaskImage): Promise<Buffer> {
  const bin = Buffer.from(mask.data.map((v) => (v >= 128 ? 255 : 0)));
  return sharp(bin, { raw: { width: mask.width, height: mask.height, channels: 1 } }).png().toBuffer();
}

function sheetOf(ctx: RunContext, work: ItemPlan, p: Prepared): Promise<Buffer> {
  const trace = { app: `VQ-DDM Studio ${ctx.appVersion}`, source: work.item.key, sheet: ctx.settings.methods, item_seed: work.seed, pack: ctx.engine.manifest.name };
  return itemSheet({ out: ctx.out, settings: ctx.settings, state: ctx.state, trace }, work, { image: p.image.pixels, mask: p.mask, source: p.source });
}

/** A unit that fills (one per method), not the mask's export or the sheet. */
const isFill = (unit: UnitPlan): boolean => unit.task !== 'mask' && unit.task !== 'sheet';

/**
 * Runs one unit of a prepared item: its fill (or mask export, or sheet), files, metrics. Returns the done
 * line's extra fields. `bases`: colour anchoring's bases, shared by the item's fills; `signal`: the fills'
 * (the run's, and their job's: `RunContext.together`).
 */
async function runUnit(ctx: RunContext, work: ItemPlan, unit: UnitPlan, p: Prepared, bases?: RegionBases, signal?: AbortSignal): Promise<Partial<RecordLine>> {
  const t0 = performance.now();
  if (unit.task === 'mask' || unit.task === 'sheet') {
    const data = unit.task === 'mask' ? await maskPng(p.mask) : await sheetOf(ctx, work, p);
    const e = performance.now();
    await writeFiles(ctx, [{ rel: unit.outputs[0], data }]);
    return { ms: { decode: p.ms, encode: e - t0, write: performance.now() - e, total: performance.now() - t0 }, ...(unit.redo && { note: unit.redo }) };
  }
  const method = unit.task as Method;
  const result = await ctx.engine.run(p.plan, method, {
    signal: signal ?? ctx.signal,
    onProgress: ctx.onStep && ((stage, step, total) => ctx.onStep!(work.item.key, method, stage, step, total)),
  }, bases);
  const tFill = performance.now();
  const quality = outputQuality(ctx.quality, work.format, p.source);
  const files: { rel: string; data: Buffer }[] = [];
  const scores: Scores[] = [];
  const { methods: _m, seed: _s, ...rest } = ctx.settings;
  for (const [k, sample] of result.samples.entries()) {
    const pixels = applyPatches(p.image.pixels, sample.patches);
    const keepAlpha = work.item.rule === 'alpha' ? opaqueWhereFilled(pixels, p.mask) : p.image.hasAlpha;
    const trace = JSON.stringify({
      app: `VQ-DDM Studio ${ctx.appVersion}`, source: work.item.key, method, sample: k + 1, seed: sample.seed,
      item_seed: work.seed, base_seed: ctx.settings.seed, pack: ctx.engine.manifest.name, settings: rest,
    });
    files.push({ rel: unit.outputs[k], data: await encodeResult(pixels, { format: work.format, quality, keepAlpha, source: p.source, trace }) });
    if (p.reference) scores.push(score(p.reference, pixels, p.mask));
  }
  const tEncode = performance.now();
  await writeFiles(ctx, files);
  const tWrite = performance.now();
  const line: Partial<RecordLine> = {
    ms: { decode: p.ms, fill: result.timings.total, encode: tEncode - tFill, write: tWrite - tEncode, total: tWrite - t0 },
    stages: result.stages,
  };
  if (ctx.reference) line.metrics = p.reference ? { ...meanScores(scores), seam_reference: seam(p.reference, p.mask) } : { error: p.referenceError ?? 'no reference' };
  const notes = [p.note, p.source.dropped.length ? `not carried over: ${p.source.dropped.join(', ')}` : null, unit.redo ?? null].filter(Boolean);
  if (notes.length) line.note = notes.join('; ');
  return line;
}

export async function runBatch(ctx: RunContext, plans: ItemPlan[]): Promise<RunResult> {
  const outcomes = new Map<string, 'done' | 'skipped' | 'failed' | 'pending'>();
  const failures: RunResult['failures'] = [];
  const masks = new MaskReader();
  const record = async (work: ItemPlan, unit: UnitPlan, status: UnitStatus, sha: string | null, extra: Partial<RecordLine> = {}) => {
    const line: RecordLine = {
      t: new Date().toISOString(), item: work.item.key, method: unit.task, status, input: work.item.photo, input_sha256: sha,
      mask: work.item.mask, rule: work.item.rule, seed: work.seed, outputs: unit.outputs, shard: ctx.shard, ...extra,
    };
    try {
      await ctx.log.append(line);
    } catch (err) {
      throw new WriteFailure('the run record', err);
    }
    if (status !== 'skipped') ctx.state.set(unitKey(line.item, line.method), line);
  };

  // Units already done: a skipped line each, for the record of this rerun.
  for (const work of plans) {
    for (const unit of work.units) if (unit.action === 'skip') await record(work, unit, 'skipped', unit.prior?.input_sha256 ?? null, { outputs: unit.prior!.outputs, note: 'done in an earlier run; its files decode' });
  }
  const todo = plans.filter((w) => w.units.some((u) => u.action === 'run'));
  for (const work of plans) {
    if (work.units.every((u) => u.action === 'skip')) outcomes.set(work.item.key, 'skipped');
    else if (!work.units.some((u) => u.action === 'run')) outcomes.set(work.item.key, 'pending');
  }

  let inARow = 0;
  let stopped: string | null = null;
  const pipelined = ctx.pipeline !== false;
  let next: Promise<Preparation> | null = pipelined && todo.length > 0 ? prepare(ctx, masks, todo[0]) : null;
  try {
    for (let i = 0; i < todo.length; i++) {
      const work = todo[i];
      if (ctx.beforeItem && !(await ctx.beforeItem())) throw new Stopped();
      ctx.progress.working(work.item.key);
      const prep = await (next ?? prepare(ctx, masks, work));
      // The next photo is read, decoded and planned while this one samples.
      next = pipelined && i + 1 < todo.length ? prepare(ctx, masks, todo[i + 1]) : null;
      const notes = new Map<UnitPlan, string>(); // what each unit's run says on screen
      let failed = false;
      // One unit: recorded started, then done or failed; a write failure or a stop is thrown on.
      const runOne = async (unit: UnitPlan, bases?: RegionBases, signal?: AbortSignal): Promise<void> => {
        if (!prep.ok) {
          await record(work, unit, 'failed', prep.sha, { error: prep.error.toShape() });
          failures.push({ item: work.item.key, method: unit.task, message: prep.error.message });
          failed = true;
          return;
        }
        await record(work, unit, 'started', prep.p.sha);
        try {
          const extra = await runUnit(ctx, work, unit, prep.p, bases, signal);
          await record(work, unit, 'done', prep.p.sha, extra);
          if (isFill(unit)) notes.set(unit, `${unit.task} ${((extra.ms?.fill ?? 0) / 1000).toFixed(2)} s`);
        } catch (err) {
          if (err instanceof WriteFailure) throw err;
          if (ctx.signal?.aborted) throw new Stopped();
          const error = asApiError(err);
          await record(work, unit, 'failed', prep.p.sha, { error: error.toShape() });
          failures.push({ item: work.item.key, method: unit.task, message: error.message });
          notes.set(unit, `${unit.task} failed: ${error.message}`);
          failed = true;
        }
      };
      const toRun = work.units.filter((u) => u.action === 'run');
      const fills = toRun.filter(isFill);
      // The mask first, then the fills side by side (as the app's compare fill runs them: one method's model
      // stages while the other's refinement runs, colour anchoring's basis computed once), the sheet of them last.
      const alone = async (task: string) => {
        for (const unit of toRun.filter((u) => u.task === task)) {
          ctx.progress.working(`${work.item.key} (${unit.task})`);
          await runOne(unit);
        }
      };
      await alone('mask');
      if (fills.length) {
        ctx.progress.working(`${work.item.key} (${fills.map((u) => u.task).join(', ')})`);
        const together = ctx.together ?? ((run) => run());
        const settled = await together((joined) => {
          const signal = ctx.signal && joined ? AbortSignal.any([ctx.signal, joined]) : (ctx.signal ?? joined);
          const bases = prep.ok ? RegionBases.forMethods(prep.p.plan.settings, fills.map(() => signal)) : undefined;
          return Promise.allSettled(fills.map((unit) => runOne(unit, bases, signal)));
        });
        const fatal = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (fatal) throw fatal.reason;
      }
      await alone('sheet');
      const messages = toRun.flatMap((u) => notes.get(u) ?? []);
      if (!prep.ok) messages.push(prep.error.message);
      outcomes.set(work.item.key, failed ? 'failed' : 'done');
      ctx.progress.itemFinished(work.item.key, !failed, messages.join(', '));
      // Items refused by their names alone (no mask, two photos with one stem) say nothing about the run.
      if (failed && !work.item.problem) inARow++;
      else if (!failed) inARow = 0;
      if (inARow >= MAX_FAILURES_IN_A_ROW) {
        stopped = `stopped: ${inARow} items failed in a row (the last: ${failures[failures.length - 1].message}); that looks like a fault of the run rather than of the photos (a broken pack?). Everything done so far is kept; fix it and rerun the same command to go on.`;
        break;
      }
    }
  } catch (err) {
    if (err instanceof Stopped) stopped = 'stopped: you stopped the run. Everything done so far is kept; start it again to go on.';
    else if (!(err instanceof WriteFailure)) throw err;
    else stopped = `stopped: ${err.message}. Everything done so far is intact; make room or fix the folder, then rerun the same command to resume.`;
  } finally {
    await next?.catch(() => undefined);
  }
  for (const work of todo) if (!outcomes.has(work.item.key)) outcomes.set(work.item.key, 'pending');
  return { outcomes, stopped, failures };
}
