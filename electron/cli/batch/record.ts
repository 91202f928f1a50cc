/**
 * The run record in the output folder: `batch.json` (what the batch is: settings, app, pack and its file
 * hashes, pairing rule, base seed) and `batch.jsonl` (`batch.shard-K-of-N.jsonl` for a shard), one line
 * appended and fsynced per change of an item's state. A crash at any instant leaves every earlier line
 * whole; a torn last line is ignored when read and closed off before the next append.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../args.js';
import { syncDir, writeDurably } from './durable.js';

export type UnitStatus = 'started' | 'done' | 'failed' | 'skipped';

/** One line of batch.jsonl: one state of one item's method (or of its mask export, method "mask", or its comparison sheet, method "sheet"). */
export interface RecordLine {
  /** ISO time the line was written. */
  t: string;
  /** The photo's path relative to --images: the item's name. */
  item: string;
  /** A sampler, "mask" for the --masks-out file, or "sheet" for the --sheets file. */
  method: string;
  status: UnitStatus;
  input: string;
  input_sha256: string | null;
  mask: string | null;
  rule: string;
  /** The item's seed (sample k uses seed + k - 1). */
  seed: number;
  /** Outputs relative to --out, '/'-separated. */
  outputs: string[];
  shard: string;
  /** Milliseconds: decode (the item's photo, mask, reference), fill, encode, write, total. */
  ms?: Record<string, number>;
  /** A method's done line: the stages that made its fill (MethodResult.stages), for its comparison sheet. */
  stages?: string[];
  /** With --reference: masked PSNR (dB), SSIM and seam of the fill (mean over samples), and the original's seam. */
  metrics?: { psnr_db: number; ssim: number; seam: number; seam_reference: number } | { error: string };
  note?: string;
  error?: { code: string; message: string };
}

export const unitKey = (item: string, method: string) => `${item}\t${method}`;

export function recordName(shard: { k: number; n: number }): string {
  return shard.n === 1 ? 'batch.jsonl' : `batch.shard-${shard.k}-of-${shard.n}.jsonl`;
}

const RECORD_FILE = /^batch(\.shard-\d+-of-\d+)?\.jsonl$/;

/** The lines of a record file's text; a torn or garbled line (a crash mid-write) is skipped. */
export function parseRecord(text: string): RecordLine[] {
  const lines: RecordLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    try {
      const line = JSON.parse(raw) as RecordLine;
      if (line && typeof line.item === 'string' && typeof line.method === 'string' && typeof line.status === 'string') lines.push(line);
    } catch {
      // torn line
    }
  }
  return lines;
}

/** Every record file in `dir` (the whole batch's and each shard's), their lines in time order. */
export async function readRecords(dir: string): Promise<{ files: string[]; lines: RecordLine[] }> {
  // A folder not made yet holds no record (the app previews into an output folder it will make).
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  const files = names.filter((n) => RECORD_FILE.test(n)).sort();
  const seen = new Set<string>();
  const lines: RecordLine[] = [];
  for (const f of files) {
    for (const line of parseRecord(await readFile(join(dir, f), 'utf8'))) {
      const text = JSON.stringify(line);
      if (seen.has(text)) continue; // a merged record repeats its shards' lines
      seen.add(text);
      lines.push(line);
    }
  }
  lines.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0)); // stable: equal times keep file order
  return { files, lines };
}

/** Each unit's latest state; `skipped` lines (a rerun saw it done) do not replace the `done` line. */
export function latestStates(lines: RecordLine[]): Map<string, RecordLine> {
  const state = new Map<string, RecordLine>();
  for (const line of lines) {
    if (line.status === 'skipped') continue;
    state.set(unitKey(line.item, line.method), line);
  }
  return state;
}

/** Appends lines to a record file, each flushed to disk before `append` resolves. */
export class RecordLog {
  private constructor(private readonly fh: Awaited<ReturnType<typeof open>>) {}

  static async open(path: string, dir: string): Promise<RecordLog> {
    let existing = '';
    try {
      existing = await readFile(path, 'utf8');
    } catch {
      // new record
    }
    const fh = await open(path, 'a');
    // A crash mid-line left a torn line: end it, so the next line starts on a line of its own.
    if (existing.length > 0 && !existing.endsWith('\n')) {
      await fh.write('\n');
      await fh.sync();
    }
    if (existing.length === 0) await syncDir(dir);
    return new RecordLog(fh);
  }

  async append(line: RecordLine): Promise<void> {
    await this.fh.write(`${JSON.stringify(line)}\n`);
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** batch.json: what makes two runs the same batch (their pixels equal). */
export interface BatchInfo {
  record: 'vqddm-batch/1';
  created: string;
  app: { name: string; version: string };
  pack: { name: string; dir: string; files: Record<string, { path: string; sha256: string }> };
  pairing: { rule: string; images: string; masks: string | null; recursive: boolean };
  /** The fill settings but methods and seed (methods may be added on a rerun; seeds are per item). */
  settings: Record<string, unknown>;
  seed: { base: number; rule: string };
  /** `in_place_suffix`: the results lie beside the photos with this suffix (absent in records made before it existed: none). */
  output: { format: string; quality: number | null; in_place_suffix?: string | null };
}

/** The fields a rerun must match: a difference would give other pixels than the record's. */
function fingerprint(info: BatchInfo): [string, unknown][] {
  return [
    ...Object.entries(info.settings).map(([k, v]): [string, unknown] => [k, v]),
    ['seed', info.seed.base],
    ['pack', Object.fromEntries(Object.entries(info.pack.files).map(([role, f]) => [role, f.sha256]))],
    ['pair', info.pairing.rule],
    ['format', info.output.format],
    ['quality', info.output.quality],
    // Another suffix beside the photos would read this batch's results as photos.
    ['in_place_suffix', info.output.in_place_suffix ?? null],
  ];
}

/**
 * Checks that the batch.json in `dir`, if any, describes the same batch (a rerun, another shard): another
 * batch in the same folder is refused, naming the first difference. Returns whether one is there.
 */
export async function checkInfo(dir: string, info: BatchInfo): Promise<boolean> {
  const path = join(dir, 'batch.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  let old: BatchInfo;
  try {
    old = JSON.parse(text) as BatchInfo;
  } catch {
    throw usageError(`--out: ${path} is not readable JSON; move it away or choose another --out`);
  }
  const before = new Map(fingerprint(old).map(([k, v]) => [k, JSON.stringify(v)]));
  for (const [k, v] of fingerprint(info)) {
    if (before.get(k) !== JSON.stringify(v)) {
      throw usageError(`--out holds another batch (${k}: ${before.get(k) ?? 'absent'} there, ${JSON.stringify(v)} now); rerun with its options or choose another --out`);
    }
  }
  return true;
}

export async function writeInfo(dir: string, info: BatchInfo, tag: string): Promise<void> {
  await writeDurably(join(dir, 'batch.json'), `${JSON.stringify(info, null, 2)}\n`, tag);
}

/**
 * Joins the records in `dir` (batch.jsonl and every shard's) into batch.jsonl, each line once, in time
 * order; written whole (temporary name, fsync, rename). The shards' files are left as they are.
 */
export async function mergeRecords(dir: string): Promise<{ files: string[]; lines: RecordLine[] }> {
  const { files, lines } = await readRecords(dir);
  if (files.length === 0) throw usageError(`--merge-records: no batch.jsonl or batch.shard-K-of-N.jsonl in ${dir}`);
  // The app's picks (`{"t", "item", "pick"}` lines, not unit states) stay, in time order among the rest.
  const picks = await readPickLines(dir, files);
  const all: { t: string; text: string }[] = [...lines.map((l) => ({ t: l.t, text: JSON.stringify(l) })), ...picks];
  all.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  await writeDurably(join(dir, 'batch.jsonl'), all.map((l) => `${l.text}\n`).join(''), 'vqddm-merge');
  return { files, lines };
}

/** The pick lines of the record files, each once. */
async function readPickLines(dir: string, files: string[]): Promise<{ t: string; text: string }[]> {
  const seen = new Set<string>();
  const out: { t: string; text: string }[] = [];
  for (const f of files) {
    for (const raw of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      if (!raw.includes('"pick"') || seen.has(raw)) continue;
      try {
        const line = JSON.parse(raw) as { t?: unknown; item?: unknown; method?: unknown };
        if (typeof line.t !== 'string' || typeof line.item !== 'string' || 'method' in line || !('pick' in line)) continue;
        seen.add(raw);
        out.push({ t: line.t, text: raw });
      } catch {
        // a torn line
      }
    }
  }
  return out;
}
