/**
 * `--dry-run`: every pair and every problem, before any work and without loading a model: photos without
 * a mask, masks without a photo, photos sharing a stem, unreadable photos, empty masks, masks of another
 * size (resized when the aspect ratio matches, else refused naming both sizes), files in --out that would
 * be in the way, and items already done. Photos are read by header only, except with the alpha rule.
 */
import { relative } from 'node:path';
import { ApiError } from '../../shared/contract.js';
import { decodeImage, MAX_PIXELS, MIN_SIDE } from '../../engine/image/codec.js';
import { findReference, MaskReader, orientedSize, readInput } from './inspect.js';
import type { BatchOptions } from './options.js';
import type { Item } from './pairing.js';
import { latestStates, readRecords } from './record.js';
import { selectOptions, selectWork } from './select.js';

export interface DryRunPair {
  item: string;
  photo: string;
  mask: string | null;
  rule: string;
  size: string | null;
  note: string | null;
  /** ready: would be filled; done: the record says so and its files decode; problem: would fail. */
  status: 'ready' | 'done' | 'problem';
  problem: string | null;
  warning: string | null;
}

async function inspect(item: Item, masks: MaskReader, reference: string | null): Promise<Omit<DryRunPair, 'status'>> {
  const pair = { item: item.key, photo: item.photo, mask: item.mask, rule: item.rule, size: null as string | null, note: null as string | null, problem: item.problem, warning: null as string | null };
  if (item.problem) return pair;
  try {
    const bytes = await readInput(item.photo, 'photo');
    const size = await orientedSize(bytes, `the photo ${item.photo}`);
    pair.size = `${size.width}x${size.height}`;
    if (size.width * size.height > MAX_PIXELS) throw new ApiError('IMAGE_TOO_LARGE', `the photo is ${pair.size}, above the limit of ${MAX_PIXELS / 1e6} MP`);
    if (Math.min(size.width, size.height) < MIN_SIDE) throw new ApiError('BAD_IMAGE', `the photo is ${pair.size}; photos must be at least ${MIN_SIDE}x${MIN_SIDE} pixels`);
    const image = item.rule === 'alpha' ? await decodeImage(bytes, `the photo ${item.photo}`) : undefined;
    pair.note = (await masks.maskFor(item, size.width, size.height, image)).note;
  } catch (err) {
    pair.problem = err instanceof ApiError ? err.message : String(err);
  }
  if (reference && !pair.problem) {
    try {
      await findReference(reference, item);
    } catch (err) {
      pair.warning = (err as Error).message;
    }
  }
  return pair;
}

/**
 * Every pair with its status and problems, and the files in --out that would be in the way: what the dry
 * run prints, and what the app's preview list shows.
 */
export async function inspectPairs(
  o: Pick<BatchOptions, 'out' | 'methods' | 'masksOut' | 'sheets' | 'settings' | 'format' | 'reference' | 'inPlaceSuffix'>,
  items: Item[],
): Promise<{ pairs: DryRunPair[]; conflicts: string[] }> {
  const masks = new MaskReader();
  const state = latestStates((await readRecords(o.out)).lines);
  const { plans, conflicts } = await selectWork(items, { ...selectOptions({ ...o, retryFailed: false }), samples: o.settings.samples, baseSeed: o.settings.seed }, state);
  const pairs: DryRunPair[] = [];
  for (const plan of plans) {
    const p = await inspect(plan.item, masks, o.reference);
    const done = plan.units.every((u) => u.action === 'skip');
    pairs.push({ ...p, status: p.problem ? 'problem' : done ? 'done' : 'ready' });
  }
  return { pairs, conflicts };
}

export async function dryRun(o: BatchOptions, items: Item[], orphans: string[]): Promise<void> {
  const { pairs, conflicts } = await inspectPairs(o, items);
  const problems = pairs.filter((p) => p.status === 'problem').length;
  const ok = problems === 0 && orphans.length === 0 && conflicts.length === 0;
  process.exitCode = ok ? 0 : 1;
  if (o.json) {
    const counts = { ready: pairs.filter((p) => p.status === 'ready').length, done: pairs.filter((p) => p.status === 'done').length, problems };
    process.stdout.write(`${JSON.stringify({ dry_run: true, rule: o.pair, ...counts, pairs, masks_without_photo: orphans, in_the_way: conflicts })}\n`);
    return;
  }
  const show = (path: string | null) => (path === null ? '' : relative(process.cwd(), path) || path);
  const lines = [`pairing: ${o.pair}${o.masks ? ` (masks: ${show(o.masks)})` : ''}, ${pairs.length} photo${pairs.length === 1 ? '' : 's'}${o.shard.n > 1 ? ` in shard ${o.shard.k}/${o.shard.n}` : ''}`];
  for (const p of pairs) {
    const mask = p.rule === 'alpha' ? '(its alpha channel)' : p.mask ? show(p.mask) : '?';
    const tail = p.status === 'problem' ? `  PROBLEM: ${p.problem}` : `${p.note ? `  (${p.note})` : ''}${p.status === 'done' ? '  (done: would be skipped)' : ''}${p.warning ? `  warning: ${p.warning}` : ''}`;
    lines.push(`  ${p.item}  <-  ${mask}${tail}`);
  }
  for (const m of orphans) lines.push(`  PROBLEM: mask without a photo: ${show(m)}`);
  for (const c of conflicts) lines.push(`  PROBLEM: ${show(c)} is in the way: it exists and no record of this batch wrote it`);
  const ready = pairs.filter((p) => p.status === 'ready').length;
  const done = pairs.filter((p) => p.status === 'done').length;
  lines.push(`${ready} ready, ${done} done, ${problems} with problems; ${orphans.length} mask${orphans.length === 1 ? '' : 's'} without a photo; ${conflicts.length} file${conflicts.length === 1 ? '' : 's'} in the way. Nothing was filled (--dry-run).`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
