/**
 * Output names and their checks: `<stem><suffix>.<method>[-<k>].<ext>` (k when several samples),
 * `<stem><suffix>.mask.png` and `<stem><suffix>.compare.jpg` (names.ts), in the photo's sub-folder of
 * --out; a unit counts as done only if its files decode.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageFormat } from '../../shared/contract.js';
import { decodeImage } from '../../engine/image/codec.js';
import { extensionOf } from './encode.js';
import { MASK_NAME, outputName, SHEET_NAME } from './names.js';
import type { Item } from './pairing.js';

/** The task of a unit: a sampler, "mask" for --masks-out, or "sheet" for --sheets. */
export type Task = string;

/** A unit's outputs, relative to --out, '/'-separated; `suffix` is --in-place-suffix's ('' without). */
export function outputsOf(item: Item, task: Task, samples: number, format: ImageFormat, suffix: string): string[] {
  const dir = item.dir ? `${item.dir}/` : '';
  const name = (part: string, ext: string, k?: number) => `${dir}${outputName(item.stem, suffix, part, ext, k)}`;
  if (task === 'mask') return [name(MASK_NAME, 'png')];
  if (task === 'sheet') return [name(SHEET_NAME, 'jpg')];
  const ext = extensionOf(format);
  return samples === 1 ? [name(task, ext)] : Array.from({ length: samples }, (_, i) => name(task, ext, i + 1));
}

export const absolute = (out: string, rel: string) => join(out, ...rel.split('/'));

/** Null when every file exists and decodes; else what is wrong with the first that does not. */
export async function outputsProblem(out: string, rels: string[]): Promise<string | null> {
  for (const rel of rels) {
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute(out, rel));
    } catch (err) {
      return `${rel} is missing (${(err as NodeJS.ErrnoException).code})`;
    }
    try {
      await decodeImage(bytes, rel);
    } catch (err) {
      return `${rel} does not decode (${(err as Error).message})`;
    }
  }
  return null;
}
