/**
 * Files that appear whole or not at all: written under a temporary sibling name, flushed to disk, then
 * renamed over the target. A crash or a full disk at any instant leaves the old file (or none), never a
 * half-written one. Used by the CLI's outputs and the desktop's Save.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temporary sibling a file is written to before its rename (a dot file, so folder views hide it). */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `path`'s temporary sibling and flushes it; the caller renames it. */
async function writeFlushed(tmp: string, data: Uint8Array): Promise<void> {
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes every file to a temporary sibling first; renames them all only when all writes succeeded. */
export async function writeAllAtomically(files: { path: string; data: Uint8Array }[]): Promise<void> {
  const temps = files.map((f) => temporaryName(f.path));
  try {
    await Promise.all(files.map((f, i) => writeFlushed(temps[i]!, f.data)));
    for (let i = 0; i < files.length; i++) await rename(temps[i]!, files[i]!.path);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
}

export function writeFileAtomically(path: string, data: Uint8Array): Promise<void> {
  return writeAllAtomically([{ path, data }]);
}
