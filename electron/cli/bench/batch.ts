/**
 * The batch's throughput and memory (`vqddm bench --batch`), through the batch's own code (pairing, run
 * record, `runBatch`, files written whole) on generated photos (photoSet.ts):
 * - items per minute of a batch with both methods, pipelined (the runner's normal path: the next photo is
 *   read, decoded and planned while the current one samples) against one item at a time (the runner's
 *   `pipeline: false`), after a two-item warm-up;
 * - the process's memory (RSS and JS heap used, no forced garbage collection) after the first and the last
 *   reading of a long run, the same photos with a small box mask each (photoSet.ts's SMALL_BOX) so that
 *   200 items take minutes: a leak per item shows in the growth between the two whatever the hole.
 * The figures are of this process: it also holds what ran before (the rest of `vqddm bench`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS, type Method } from '../../shared/settings.js';
import { Engine } from '../../engine/engine.js';
import type { Device } from '../../engine/ort/providers.js';
import { appRoot } from '../../engine/paths.js';
import type { BatchOptions } from '../batch/options.js';
import { pairPhotos } from '../batch/pairing.js';
import { runBatch } from '../batch/run.js';
import { openRun, prepareOut } from '../batch/session.js';
import { settingsFromOptions } from '../batch/settingsArgs.js';
import { watchMachine } from './machine.js';
import { makePhotoSet, SMALL_BOX } from './photoSet.js';

export interface BatchBenchOptions {
  /** The pack the throughput is measured on. */
  pack: string;
  device: Device;
  /** Photos per throughput run (default 32). */
  items?: number;
  /** Items after which the long run's memory is read; the last is its length (default 10 and 200). */
  memoryAt?: [number, number];
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface ThroughputFigure {
  items: number;
  ms: number;
  items_per_minute: number;
  /** Other processes' share of the CPU during the run (null: unknown here). */
  foreign_cpu: number | null;
}

export interface MemoryPoint {
  /** Items finished when it was read. */
  items: number;
  rss_mib: number;
  heap_used_mib: number;
}

export interface BatchBenchResult {
  pack: string;
  methods: Method[];
  photos: { items: number; min_mp: number; max_mp: number; mean_mp: number; mean_mask_fraction: number; source: string };
  pipelined: ThroughputFigure;
  one_at_a_time: ThroughputFigure;
  /** Pipelined items per minute over one-at-a-time. */
  pipelining_gain: number;
  /** The long run (on `pack`): its length, its masks (a box of `mask_side` pixels), and memory at its two readings. */
  memory: { items: number; mask_side: number; points: [MemoryPoint, MemoryPoint]; rss_growth_mib: number; heap_growth_mib: number };
}

const MIB = 2 ** 20;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A batch of the photos `from` to `to` (exclusive) with their masks into `out`, both methods, default settings; `onItem` after each item. */
async function timedBatch(
  engine: Engine,
  device: Device,
  set: { images: string; masks: string },
  [from, to]: [number, number],
  out: string,
  pipeline: boolean,
  onItem: (done: number) => void = () => undefined,
): Promise<ThroughputFigure> {
  const o: BatchOptions = {
    images: set.images, masks: set.masks, pair: 'stem', out, recursive: false, methods: [...METHODS], settings: settingsFromOptions({}),
    format: null, quality: null, masksOut: false, sheets: false, inPlaceSuffix: null, reference: null, shard: { k: 1, n: 1 },
    dryRun: false, retryFailed: false, json: false, report: null, pack: engine.info().packDir, device,
  };
  const items = (await pairPhotos({ images: o.images, masks: o.masks, pair: o.pair, recursive: false, skip: [], inPlaceSuffix: null })).items.slice(from, to);
  const tag = await prepareOut(o, items);
  const run = await openRun(engine, o, items, tag);
  let done = 0;
  try {
    const stop = watchMachine();
    const t0 = performance.now();
    const result = await runBatch(
      {
        engine, settings: run.settings, out, quality: null, reference: null, log: run.log, state: run.state, tag, shard: '1/1',
        appVersion: run.info.app.version, progress: { working: () => undefined, itemFinished: () => onItem(++done) }, pipeline,
      },
      run.plans,
    );
    const ms = performance.now() - t0;
    const quiet = stop();
    if (result.stopped || result.failures.length > 0) throw new Error(`the bench's batch did not run through: ${result.stopped ?? result.failures[0].message}`);
    return { items: items.length, ms, items_per_minute: items.length / (ms / 60_000), foreign_cpu: quiet.foreign_cpu };
  } finally {
    await run.log.close();
  }
}

export async function batchBench(opts: BatchBenchOptions): Promise<BatchBenchResult> {
  const n = opts.items ?? 32;
  const [first, last] = opts.memoryAt ?? [10, 200];
  if (!(n >= 1 && first >= 1 && last > first)) throw new Error(`batch bench: needs items >= 1 and 1 <= memoryAt[0] < memoryAt[1], got ${n} and [${first}, ${last}]`);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engine = (await Engine.open(opts.pack, opts.device)).warm(METHODS);
  let dir: string | null = null;
  try {
    dir = await mkdtemp(join(tmpdir(), 'vqddm-batch-bench-'));
    // One set: the throughput runs take its first n photos (and warm up on two after them), the long run all.
    const total = Math.max(n + 2, last);
    log(`batch bench: making ${total} photos in ${dir}`);
    const set = await makePhotoSet(dir, total, join(appRoot(), 'tests', 'fixtures', 'photo.jpg'));
    const boxes = { images: set.images, masks: set.masks };
    await timedBatch(engine, opts.device, boxes, [n, n + 2], join(dir, 'out-warm-up'), true);
    log(`batch bench: ${n} items one at a time`);
    const oneAtATime = await timedBatch(engine, opts.device, boxes, [0, n], join(dir, 'out-one-at-a-time'), false);
    log(`batch bench: ${n} items pipelined`);
    const pipelined = await timedBatch(engine, opts.device, boxes, [0, n], join(dir, 'out-pipelined'), true);

    log(`batch bench: memory over ${last} items with ${SMALL_BOX} px masks`);
    const points: MemoryPoint[] = [];
    await timedBatch(engine, opts.device, { images: set.images, masks: set.smallMasks }, [0, last], join(dir, 'out-long'), true, (done) => {
      if (done !== first && done !== last) return;
      const m = process.memoryUsage();
      points.push({ items: done, rss_mib: m.rss / MIB, heap_used_mib: m.heapUsed / MIB });
    });
    const [a, z] = points as [MemoryPoint, MemoryPoint];

    const mp = set.megapixels.slice(0, n);
    return {
      pack: engine.info().packName,
      methods: [...METHODS],
      photos: { items: n, min_mp: Math.min(...mp), max_mp: Math.max(...mp), mean_mp: mean(mp), mean_mask_fraction: mean(set.maskFractions.slice(0, n)), source: 'tests/fixtures/photo.jpg' },
      pipelined,
      one_at_a_time: oneAtATime,
      pipelining_gain: pipelined.items_per_minute / oneAtATime.items_per_minute,
      memory: { items: last, mask_side: SMALL_BOX, points: [a, z], rss_growth_mib: z.rss_mib - a.rss_mib, heap_growth_mib: z.heap_used_mib - a.heap_used_mib },
    };
  } finally {
    await engine.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** The section of docs/BENCHMARKS.md, every figure from `r`. */
export function batchMarkdown(r: BatchBenchResult): string[] {
  const f1 = (v: number) => v.toFixed(1);
  const cpu = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(0)}%`);
  const row = (label: string, x: ThroughputFigure) => `| ${label} | ${x.items} | ${(x.ms / 1000).toFixed(1)} | ${f1(x.items_per_minute)} | ${cpu(x.foreign_cpu)} |`;
  const [a, b] = r.memory.points;
  return [
    '## Batch: throughput and memory',
    '',
    `\`vqddm batch\` (its own pairing, record, runner and writing) on ${r.photos.items} generated photos of ${r.photos.min_mp.toFixed(2)} to ${r.photos.max_mp.toFixed(2)} MP (mean ${r.photos.mean_mp.toFixed(2)}; crops, flips and resizes of \`${r.photos.source}\`, JPEG), one box mask each (${(r.photos.mean_mask_fraction * 100).toFixed(1)} % of the photo on average), both methods, default settings, pack \`${r.pack}\`, after a two-item warm-up.`,
    '',
    '| run | items | seconds | items per minute | other CPU |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('pipelined (the next photo read, decoded and planned while the current one samples)', r.pipelined),
    row('one item at a time', r.one_at_a_time),
    '',
    `Pipelining: **${r.pipelining_gain.toFixed(2)}x** the items per minute of one item at a time.`,
    '',
    `Memory of the process (RSS and JS heap used, no forced garbage collection) in a long run of ${r.memory.items} items on pack \`${r.pack}\`: the same kind of photos with a small mask each (a ${r.memory.mask_side}x${r.memory.mask_side} box, so that the run takes minutes; a leak per item shows in the growth whatever the hole), both methods, default settings. The figures include what the rest of the bench holds in this process.`,
    '',
    '| after items | RSS MiB | JS heap MiB |',
    '| ---: | ---: | ---: |',
    `| ${a.items} | ${f1(a.rss_mib)} | ${f1(a.heap_used_mib)} |`,
    `| ${b.items} | ${f1(b.rss_mib)} | ${f1(b.heap_used_mib)} |`,
    '',
    `From ${a.items} to ${b.items} items: RSS ${r.memory.rss_growth_mib >= 0 ? '+' : ''}${f1(r.memory.rss_growth_mib)} MiB, JS heap ${r.memory.heap_growth_mib >= 0 ? '+' : ''}${f1(r.memory.heap_growth_mib)} MiB.`,
    '',
  ];
}
