/** Output files that appear whole or not at all: written under a temporary name, then renamed. */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** Writes every file to a temporary sibling first; renames them all only when all writes succeeded. */
export async function writeAllAtomically(files: { path: string; data: Uint8Array }[]): Promise<void> {
  const temps = files.map((f) => join(dirname(f.path), `.${basename(f.path)}.${randomBytes(4).toString('hex')}.tmp`));
  try {
    await Promise.all(files.map((f, i) => writeFile(temps[i], f.data)));
    for (let i = 0; i < files.length; i++) await rename(temps[i], files[i].path);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
}

/** `filled.png` -> `filled.vqddm.png`, `filled.vqddm.2.png`: one name per method (when several) and sample. */
export function outputName(out: string, method: string | null, sample: number | null): string {
  const ext = extname(out);
  const stem = out.slice(0, out.length - ext.length);
  return `${stem}${method ? `.${method}` : ''}${sample !== null ? `.${sample}` : ''}${ext}`;
}
