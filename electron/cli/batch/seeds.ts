/**
 * Each item's seed: derived from the batch's base seed and the photo's path relative to --images, so the
 * same photo gets the same pixels on a rerun, in any shard, on any machine, whatever else is in the folder.
 */
import { createHash } from 'node:crypto';

export const SEED_RULE = 'first 4 bytes (big-endian) of sha256("<base seed>:<relative path>")';

export function itemSeed(base: number, key: string): number {
  return createHash('sha256').update(`${base}:${key}`).digest().readUInt32BE(0);
}
