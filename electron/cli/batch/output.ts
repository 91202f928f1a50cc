/**
 * Output names and their checks: `<stem>.<method>[-<k>].<ext>` (k when several samples) and
 * `<stem>.mask.png`, in the photo's sub-folder of --out; a unit counts as done only if its files decode.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageFormat } from '../../shared/contract.js';
import { decodeImage } from '../../engine/image/codec.js';
import { extensionOf } from './encode.js';
import type { Item } from './pairing.js';

/** The task of a unit: a sampler, or "mask" for --masks-out. */
export type Task = string;

/** A unit's outputs, relative to --out, '/'-separated. */
export function outputsOf(item: Item, task: Task, samples: number, format: ImageFormat): string[] {
  const base = `${item.dir ? `${item.dir}/` : ''}${item.stem}`;
  if (task === 'mask') return [`${base}.mask.png`];
  const ext = extensionOf(format);
  return samples === 1 ? [`${base}.${task}.${ext}`] : Array.from({ length: samples }, (_, i) => `${base}.${task}-${i + 1}.${ext}`);
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
