/**
 * A person's picks (which method gave the better result, per item) in the run record, and their export.
 *
 * A pick is a line of the batch's `batch.jsonl`, `{"t", "item", "pick": "<method>" | null, "by": "app"}`,
 * appended and flushed like every other line, the latest per item counting. It has no `method` and no
 * `status`, so the CLI's reader passes over it (a pick is not a unit's state); `--merge-records` keeps it. "Export picks" copies the
 * picked results, only those, into a folder (default `picks` in the output folder), sub-folders
 * mirrored, each written whole (temporary name, fsync, rename), with `picks.json` saying what came from
 * where. A file there that no export wrote is never written over; files an earlier export wrote for
 * picks since changed are removed.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ApiError, type Method } from '../../shared/contract.js';
import { METHODS } from '../../shared/settings.js';
import type { BatchItem, PicksExport } from '../../shared/batch.js';
import { writeDurably } from '../../cli/batch/durable.js';

export const RECORD = 'batch.jsonl';
export const PICKS_MANIFEST = 'picks.json';

export interface PickLine {
  t: string;
  item: string;
  pick: Method | null;
  by: 'app';
}

/** The latest pick per item in the record of `out`. */
export async function readPicks(out: string): Promise<Map<string, Method | null>> {
  const picks = new Map<string, Method | null>();
  let text = '';
  try {
    text = await readFile(join(out, RECORD), 'utf8');
  } catch {
    return picks;
  }
  for (const raw of text.split('\n')) {
    if (!raw.includes('"pick"')) continue;
    try {
      const line = JSON.parse(raw) as Partial<PickLine>;
      if (typeof line.item !== 'string' || !('pick' in line)) continue;
      if (line.pick === null || (METHODS as readonly string[]).includes(line.pick as string)) picks.set(line.item, line.pick ?? null);
    } catch {
      // a torn line
    }
  }
  return picks;
}

/** Appends one pick line to the record, flushed before it resolves. */
export async function appendPick(out: string, item: string, pick: Method | null): Promise<void> {
  const line: PickLine = { t: new Date().toISOString(), item, pick, by: 'app' };
  const fh = await open(join(out, RECORD), 'a+');
  try {
    // A crash mid-line of the run's appender left a torn line: end it first (as RecordLog.open does).
    const { size } = await fh.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await fh.read(last, 0, 1, size - 1);
    await fh.write(`${size > 0 && last[0] !== 0x0a ? '\n' : ''}${JSON.stringify(line)}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

interface Manifest {
  record: 'vqddm-picks/1';
  out: string;
  files: { item: string; method: Method; source: string; file: string }[];
}

const sameBytes = async (a: string, b: Uint8Array) => {
  try {
    return Buffer.compare(await readFile(a), b) === 0;
  } catch {
    return false;
  }
};

/**
 * Copies each picked item's results (the picked method's outputs) from `out` into `dest`. Items picked
 * whose result is not done are listed as missing. Refuses (before writing anything) when a file in the
 * way was not written by an earlier export.
 */
export async function exportPicks(out: string, dest: string, items: BatchItem[], tag: string): Promise<PicksExport> {
  const wanted: Manifest['files'] = [];
  const missing: string[] = [];
  for (const item of items) {
    if (!item.pick) continue;
    const unit = item.units.find((u) => u.method === item.pick);
    if (!unit || (unit.state !== 'done' && unit.state !== 'earlier') || unit.outputs.length === 0) {
      missing.push(item.key);
      continue;
    }
    for (const source of unit.outputs) {
      const rel = relative(out, source);
      if (rel.startsWith('..') || rel === '') throw new ApiError('ENGINE_FAILURE', `${source} is not in the output folder ${out}`);
      wanted.push({ item: item.key, method: item.pick, source: rel.split(sep).join('/'), file: rel.split(sep).join('/') });
    }
  }
  let before: Manifest | null = null;
  try {
    before = JSON.parse(await readFile(join(dest, PICKS_MANIFEST), 'utf8')) as Manifest;
  } catch {
    before = null;
  }
  const ours = new Set(before?.files.map((f) => f.file) ?? []);
  // Nothing is written over that an export did not write.
  const data = new Map<string, Buffer>();
  let unchanged = 0;
  for (const f of wanted) {
    const bytes = await readFile(join(out, ...f.source.split('/')));
    data.set(f.file, bytes);
    const target = join(dest, ...f.file.split('/'));
    if (await sameBytes(target, bytes)) {
      unchanged++;
      continue;
    }
    const exists = await readFile(target).then(() => true, () => false);
    if (exists && !ours.has(f.file)) throw new ApiError('IO_ERROR', `${target} already exists and no export of picks wrote it; nothing is written over: move it or export to another folder`);
  }
  const written: string[] = [];
  for (const f of wanted) {
    const target = join(dest, ...f.file.split('/'));
    if (await sameBytes(target, data.get(f.file)!)) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeDurably(target, data.get(f.file)!, tag);
    written.push(target);
  }
  // Files an earlier export wrote for items no longer picked that way go.
  const now = new Set(wanted.map((f) => f.file));
  for (const old of before?.files ?? []) if (!now.has(old.file)) await rm(join(dest, ...old.file.split('/')), { force: true });
  const manifest: Manifest = { record: 'vqddm-picks/1', out, files: wanted };
  await writeDurably(join(dest, PICKS_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, tag);
  return { dest, written, unchanged, missing };
}
