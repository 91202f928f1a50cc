/** Output names of the CLI; files are written with `writeAllAtomically` (engine/io/atomicWrite.ts). */
import { extname } from 'node:path';

export { writeAllAtomically } from '../engine/io/atomicWrite.js';

/** `filled.png` -> `filled.vqddm.png`, `filled.vqddm.2.png`: one name per method (when several) and sample. */
export function outputName(out: string, method: string | null, sample: number | null): string {
  const ext = extname(out);
  const stem = out.slice(0, out.length - ext.length);
  return `${stem}${method ? `.${method}` : ''}${sample !== null ? `.${sample}` : ''}${ext}`;
}
