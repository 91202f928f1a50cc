/**
 * Opening a batch run, shared by `vqddm batch` and the app's Batch view (engine/batchService.ts): the
 * output folders checked before any model is loaded (`prepareOut`), then, with the engine, the batch's
 * settings and `batch.json`, a rerun's check that it is the same batch, what each item's units do (from
 * the record), the files in the way, and the record opened for appending (`openRun`).
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FillSettings } from '../../shared/contract.js';
import type { Engine } from '../../engine/engine.js';
import { appRoot } from '../../engine/paths.js';
import { checkWritable, removeStaleTemps, tempTag } from './durable.js';
import type { BatchOptions } from './options.js';
import type { Item } from './pairing.js';
import { checkInfo, latestStates, readRecords, recordName, RecordLog, writeInfo, type BatchInfo, type RecordLine } from './record.js';
import { SEED_RULE } from './seeds.js';
import { conflictError, selectOptions, selectWork, type ItemPlan } from './select.js';
import { checkAgainstPack } from './settingsArgs.js';

export function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Before any fill: the output folder and the sub-folders the items need exist, take files and have room
 * for the first items; this shard's temporaries left by a killed run are removed. Returns the temporaries' tag.
 */
export async function prepareOut(o: Pick<BatchOptions, 'out' | 'shard' | 'methods' | 'masksOut' | 'sheets' | 'settings'>, items: Item[]): Promise<string> {
  const tag = tempTag(o.shard);
  const subdirs = [...new Set(items.map((i) => i.dir).filter((d) => d !== ''))];
  const sizes = await Promise.all(items.slice(0, 10).map((i) => stat(i.photo).then((s) => s.size, () => 0)));
  const tasks = o.methods.length + (o.masksOut ? 1 : 0) + (o.sheets ? 1 : 0);
  await checkWritable(o.out, subdirs, tag, Math.max(0, ...sizes) * tasks * o.settings.samples * 3 + 2 ** 20);
  for (const dir of ['', ...subdirs]) await removeStaleTemps(join(o.out, dir), tag);
  return tag;
}

export interface OpenRun {
  settings: FillSettings;
  info: BatchInfo;
  /** Each unit's latest record line; the run updates it as it appends. */
  state: Map<string, RecordLine>;
  plans: ItemPlan[];
  log: RecordLog;
}

/**
 * The run of `items` into `o.out` with `engine`: refused (a BAD_SETTINGS ApiError naming the difference
 * or the file) when --out holds another batch or a file no record of this batch wrote; otherwise
 * batch.json written (first run) and the record opened. The caller closes `log`.
 */
export async function openRun(engine: Engine, o: BatchOptions, items: Item[], tag: string): Promise<OpenRun> {
  const { settings, info } = batchInfoOf(engine, o);
  const known = await checkInfo(o.out, info);
  const state = latestStates((await readRecords(o.out)).lines);
  const { plans, conflicts } = await selectWork(items, { ...selectOptions(o), samples: settings.samples, baseSeed: settings.seed }, state);
  if (conflicts.length > 0) throw conflictError(conflicts);
  if (!known) await writeInfo(o.out, info, tag);
  const log = await RecordLog.open(join(o.out, recordName(o.shard)), o.out);
  return { settings, info, state, plans, log };
}

/**
 * The batch's settings (the pack's defaults for what is not given; checked against the pack) and its
 * batch.json; `checkInfo(o.out, info)` then says whether --out holds this batch or another.
 */
export function batchInfoOf(engine: Engine, o: Pick<BatchOptions, 'settings' | 'methods' | 'pair' | 'images' | 'masks' | 'recursive' | 'format' | 'quality' | 'inPlaceSuffix'>): { settings: FillSettings; info: BatchInfo } {
  const settings = engine.settings({ ...o.settings, methods: o.methods });
  checkAgainstPack(settings, engine.manifest.T);
  const { methods: _m, seed, ...rest } = settings;
  const info: BatchInfo = {
    record: 'vqddm-batch/1',
    created: new Date().toISOString(),
    app: { name: 'VQ-DDM Studio', version: appVersion() },
    pack: { name: engine.manifest.name, dir: engine.info().packDir, files: Object.fromEntries(Object.entries(engine.manifest.files).map(([role, f]) => [role, { path: f.path, sha256: f.sha256 }])) },
    pairing: { rule: o.pair, images: o.images, masks: o.masks, recursive: o.recursive },
    settings: rest,
    seed: { base: seed, rule: SEED_RULE },
    output: { format: o.format ?? 'input', quality: o.quality, in_place_suffix: o.inPlaceSuffix },
  };
  return { settings, info };
}
