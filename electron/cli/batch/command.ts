/**
 * `vqddm batch`: options, pairing, the checks that come before any fill (output folder writable, the
 * record's batch the same, nothing in the way), then the run and its summary; or `--dry-run`, or
 * `--merge-records DIR`. Exit code 0: every item done; 1: some failed (or the run stopped); 2: bad options.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../../engine/engine.js';
import { usageError } from '../args.js';
import { dryRun } from './dryRun.js';
import { writeDurably } from './durable.js';
import { BATCH_USAGE, parseBatchOptions, parseMergeOptions, type BatchOptions } from './options.js';
import { pairPhotos, shardItems } from './pairing.js';
import { clock, Progress } from './progress.js';
import { latestStates, mergeRecords, readRecords, recordName, type RecordLine, type RecordLog } from './record.js';
import { runBatch } from './run.js';
import { openRun, prepareOut } from './session.js';
import { csvReport, methodSummaries, type MethodSummary } from './summary.js';

export { BATCH_USAGE } from './options.js';

function methodLines(methods: Record<string, MethodSummary>): string[] {
  const f = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '-' : v.toFixed(digits));
  return Object.entries(methods).map(([m, s]) => {
    const scores = s.psnr_db !== undefined ? `  PSNR ${f(s.psnr_db, 2)} dB  SSIM ${f(s.ssim, 3)}  seam ${f(s.seam, 4)} (original ${f(s.seam_reference, 4)})` : '';
    return `  ${m.padEnd(12)} ${s.items} done, ${f(s.mean_ms, 0)} ms per fill (${f(s.mean_total_ms, 0)} ms with writing)${scores}`;
  });
}

async function mergeCommand(m: { dir: string; report: 'csv' | null; json: boolean }): Promise<void> {
  try {
    if (!(await stat(m.dir)).isDirectory()) throw new Error();
  } catch {
    throw usageError(`--merge-records: ${m.dir} is not a folder`);
  }
  const { files, lines } = await mergeRecords(m.dir);
  const units = [...latestStates(lines).values()];
  const count = (s: string) => units.filter((u) => u.status === s).length;
  const methods = [...new Set(units.map((u) => u.method).filter((x) => x !== 'mask' && x !== 'sheet'))];
  const summary = {
    merged: files, record: join(m.dir, 'batch.jsonl'), lines: lines.length,
    units: { done: count('done'), failed: count('failed'), started: count('started') },
    methods: methodSummaries(units, methods, units.some((u) => u.metrics)),
    report: m.report ? join(m.dir, 'batch.csv') : null,
  };
  if (m.report) await writeDurably(join(m.dir, 'batch.csv'), csvReport(units), 'vqddm-merge');
  if (m.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(`merged ${files.join(', ')} into ${summary.record}: ${lines.length} lines; units done ${summary.units.done}, failed ${summary.units.failed}, unfinished ${summary.units.started}\n${methodLines(summary.methods).join('\n')}\n`);
}

export async function batchCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BATCH_USAGE}\n`);
    return;
  }
  const merge = parseMergeOptions(argv);
  if (merge) return mergeCommand(merge);
  const o = await parseBatchOptions(argv);
  const pairing = await pairPhotos({ images: o.images, masks: o.masks, pair: o.pair, recursive: o.recursive, skip: [o.out, o.masks ?? '', o.reference ?? ''], inPlaceSuffix: o.inPlaceSuffix });
  if (pairing.items.length === 0) throw usageError(`--images: no photos (png, jpg, webp, tiff, avif, gif) in ${o.images}${o.recursive ? ' or its sub-folders' : ''}`);
  const items = shardItems(pairing.items, o.shard.k, o.shard.n);
  if (o.dryRun) return dryRun(o, items, pairing.orphans);

  // Before any fill: the output folders take files and have room for the first items.
  const tag = await prepareOut(o, items);

  const started = performance.now();
  const engine = (await Engine.open(o.pack, o.device)).warm(o.methods);
  let log: RecordLog | null = null;
  try {
    const run = await openRun(engine, o, items, tag);
    const { settings, info, state, plans } = run;
    log = run.log;

    const todo = plans.filter((p) => p.units.some((u) => u.action === 'run')).length;
    const progress = new Progress(todo);
    if (pairing.orphans.length) progress.message(`note: ${pairing.orphans.length} mask${pairing.orphans.length === 1 ? '' : 's'} without a photo (see --dry-run)`);
    const result = await runBatch(
      { engine, settings, out: o.out, quality: o.quality, reference: o.reference, log, state, tag, shard: `${o.shard.k}/${o.shard.n}`, appVersion: info.app.version, progress },
      plans,
    );
    progress.finish();

    const mine = new Set(plans.flatMap((p) => p.units.map((u) => `${p.item.key}\t${u.task}`)));
    const lines = [...state.entries()].filter(([k]) => mine.has(k)).map(([, l]) => l);
    const outcomes = [...result.outcomes.values()];
    const count = (s: string) => outcomes.filter((x) => x === s).length;
    let report: string | null = null;
    if (o.report) {
      report = join(o.out, 'batch.csv');
      await writeDurably(report, csvReport(latestStatesOf(await readRecords(o.out))), tag);
    }
    const summary = {
      done: count('done'), skipped: count('skipped'), failed: count('failed'), pending: count('pending'), items: plans.length,
      out: o.out, record: join(o.out, recordName(o.shard)), report, elapsed_ms: performance.now() - started, stopped: result.stopped,
      methods: methodSummaries(lines, o.methods, o.reference !== null),
      failures: result.failures,
      masks_without_photo: pairing.orphans,
    };
    if (result.stopped) process.stderr.write(`vqddm: ${result.stopped}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const pending = summary.pending ? `, ${summary.pending} not done yet${o.retryFailed ? ' (--retry-failed runs only failed items)' : ''}` : '';
      process.stdout.write(
        [
          `done ${summary.done}, skipped ${summary.skipped} (done before), failed ${summary.failed}${pending}, of ${summary.items} items in ${clock(summary.elapsed_ms)}; results in ${o.out}`,
          ...methodLines(summary.methods),
          `record: ${summary.record}${report ? `, table: ${report}` : ''}`,
        ].join('\n') + '\n',
      );
    }
    process.exitCode = summary.failed > 0 || summary.pending > 0 || result.stopped ? 1 : 0;
  } finally {
    await log?.close();
    await engine.dispose();
  }
}

function latestStatesOf(r: { lines: RecordLine[] }): RecordLine[] {
  return [...latestStates(r.lines).values()];
}

export type { BatchOptions };
