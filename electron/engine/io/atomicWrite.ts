/**
 * Files that appear whole or not at all: written under a temporary sibling name, flushed to disk, then
 * renamed over the target. A crash or a full disk at any instant leaves the old file (or none), never a
 * half-written one. Used by the CLI's outputs and the desktop's Save.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The temporary sibling a file is written to before its rename (a dot file, so folder views hide it); a
 * `tag` marks whose it is (a batch shard removes only its own leftovers).
 */
export function temporaryName(path: string, tag?: string): string {
  const hex = randomBytes(4).toString('hex');
  return join(dirname(path), `.${basename(path)}.${tag ? `${tag}-${hex}` : hex}.tmp`);
}

/**
 * Removes the temporaries of `path` that a killed write left (`.<name>.<8 hex>.tmp` beside it), so they do
 * not pile up: called when a write of the same file starts again. Returns how many went.
 */
export async function removeStaleTemporaries(path: string): Promise<number> {
  const dir = dirname(path);
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mine = new RegExp(`^\\.${name}\\.[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => mine.test(n));
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
  return stale.length;
}

/** The folder's entry for a renamed file flushed too (where the file system can flush a folder). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems (and Windows) cannot open or flush a folder: the rename is as durable as they make it.
  }
}

/** Writes `data` to `path`'s temporary sibling and flushes it; the caller renames it. */
async function writeFlushed(tmp: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes every file to a temporary sibling first; renames them all only when all writes succeeded. */
export async function writeAllAtomically(files: { path: string; data: Uint8Array | string }[], tag?: string): Promise<void> {
  const temps = files.map((f) => temporaryName(f.path, tag));
  try {
    await Promise.all(files.map((f, i) => writeFlushed(temps[i]!, f.data)));
    for (let i = 0; i < files.length; i++) await rename(temps[i]!, files[i]!.path);
    for (const dir of new Set(files.map((f) => dirname(f.path)))) await syncDir(dir);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
}

export function writeFileAtomically(path: string, data: Uint8Array | string, tag?: string): Promise<void> {
  return writeAllAtomically([{ path, data }], tag);
}

/** Where `replaceKeepingBackup` keeps the previous file while the new one is written. */
function backupName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.bak`);
}

/**
 * Replaces an existing file (the desktop's Save over the photo it opened), keeping the previous file as a
 * backup beside it (`.<name>.<hex>.bak`, a flushed copy) until the
 * new one is written whole: temporary sibling, flushed, renamed over. The backup goes only once the rename
 * is done; if the write fails, the backup is put back in the file's place. A process killed in between
 * leaves the old or the new file in place, and the backup beside it (never removed unasked: it may be the
 * only copy of the original). `write` is the writer (a test's faulty one).
 */
export async function replaceKeepingBackup(path: string, data: Uint8Array, write: (path: string, data: Uint8Array) => Promise<void> = writeFileAtomically): Promise<void> {
  const backup = backupName(path);
  // A copy (a clone where the file system can), flushed, then named: a backup is whole or absent (a copy
  // cut short is a temporary, removed as the others are).
  const copy = temporaryName(path);
  try {
    await copyFile(path, copy, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    const fh = await open(copy, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(copy, backup);
  } catch (err) {
    await rm(copy, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
  try {
    await write(path, data);
  } catch (err) {
    // Whatever the failed write left at `path`, the previous file goes back there.
    await rename(backup, path);
    throw err;
  }
  await rm(backup, { force: true });
}
