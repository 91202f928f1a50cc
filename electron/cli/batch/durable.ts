/**
 * Files that survive a crash: written under a temporary name, flushed to disk (fsync), renamed, and the
 * folder flushed, so a file is either absent or whole, whenever the process dies. Also the checks that
 * the output folder can be written before any work, and the write errors that stop a run.
 */
import { mkdir, open, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../args.js';
import { temporaryName, writeFileAtomically } from '../../engine/io/atomicWrite.js';

export { syncDir } from '../../engine/io/atomicWrite.js';

/** Temporaries of one shard of one batch: `.<name>.<tag>-<hex>.tmp`; a rerun of that shard removes its own. */
export function tempTag(shard: { k: number; n: number }): string {
  return `vqddm-s${shard.k}of${shard.n}`;
}

/** Writes `data` to `path` whole or not at all (temporary name, fsync, rename, folder fsync). */
export function writeDurably(path: string, data: Uint8Array | string, tag: string): Promise<void> {
  return writeFileAtomically(path, data, tag);
}

/** Removes the temporaries a killed run of this shard left in `dir` (never another shard's: it may be running). */
export async function removeStaleTemps(dir: string, tag: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const mine = new RegExp(`^\\..+\\.${tag}-[0-9a-f]{8}\\.tmp$`);
  const stale = names.filter((n) => mine.test(n));
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
  return stale.length;
}

/** Codes of a write that failed for the whole folder, not for one item: the run stops. */
const FATAL_WRITE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG', 'ENOENT', 'ENOTDIR']);

export function isFatalWriteError(err: unknown): boolean {
  return FATAL_WRITE.has((err as NodeJS.ErrnoException)?.code ?? '');
}

export function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const why: Record<string, string> = { ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is used up', EROFS: 'the file system is read-only', EACCES: 'permission denied', EPERM: 'not permitted' };
  return `${why[code] ?? (err as Error).message?.split('\n')[0] ?? String(err)}${why[code] ? ` (${code})` : ''}`;
}

/**
 * The output folders exist (sub-folders are made) and take a file: a probe is written, flushed and
 * removed in each, so a read-only or full folder stops the run before the first fill. `need` bytes
 * must be free.
 */
export async function checkWritable(out: string, subdirs: string[], tag: string, need: number): Promise<void> {
  for (const sub of ['', ...subdirs]) {
    const dir = sub ? join(out, sub) : out;
    try {
      await mkdir(dir, { recursive: true });
      const probe = temporaryName(join(dir, 'probe'), tag);
      const fh = await open(probe, 'wx');
      try {
        await fh.writeFile('probe');
        await fh.sync();
      } finally {
        await fh.close();
        await rm(probe, { force: true });
      }
    } catch (err) {
      throw usageError(`--out: cannot write in ${dir}: ${describeWriteError(err)}`);
    }
  }
  try {
    const fs = await statfs(out);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < need) throw usageError(`--out: ${out} has ${(free / 2 ** 20).toFixed(1)} MiB free, less than the ${(need / 2 ** 20).toFixed(1)} MiB the first items need`);
  } catch (err) {
    if ((err as { code?: string }).code === 'BAD_SETTINGS') throw err;
    // statfs unsupported here: the write errors will tell.
  }
}
