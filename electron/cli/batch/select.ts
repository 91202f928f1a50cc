/**
 * What a run does with each item's units (one per method, plus "mask" with --masks-out), from the record:
 * a unit whose record says done and whose files decode is skipped; any other runs (with --retry-failed,
 * only the failed ones; the rest wait). A file in the way that no record of this batch wrote stops the
 * run before it starts (`conflictError`), naming the file: nothing is ever written over.
 */
import { access } from 'node:fs/promises';
import type { ImageFormat } from '../../shared/contract.js';
import { usageError } from '../args.js';
import { outputFormat } from './encode.js';
import { absolute, outputsOf, outputsProblem } from './output.js';
import type { Item } from './pairing.js';
import { unitKey, type RecordLine } from './record.js';
import { itemSeed } from './seeds.js';

export type Action = 'run' | 'skip' | 'pending';

export interface UnitPlan {
  task: string;
  outputs: string[];
  action: Action;
  /** The unit's latest record line, if any. */
  prior?: RecordLine;
  /** Why a unit recorded as done runs again. */
  redo?: string;
}

export interface ItemPlan {
  item: Item;
  seed: number;
  format: ImageFormat;
  units: UnitPlan[];
}

const exists = (path: string) => access(path).then(() => true, () => false);

export async function selectWork(
  items: Item[],
  o: { out: string; methods: string[]; masksOut: boolean; samples: number; format: ImageFormat | null; baseSeed: number; retryFailed: boolean },
  state: Map<string, RecordLine>,
): Promise<{ plans: ItemPlan[]; conflicts: string[] }> {
  const tasks = [...(o.masksOut ? ['mask'] : []), ...o.methods];
  const conflicts: string[] = [];
  const plans: ItemPlan[] = [];
  for (const item of items) {
    const format = outputFormat(o.format, item.photo);
    const units: UnitPlan[] = [];
    for (const task of tasks) {
      const outputs = outputsOf(item, task, o.samples, format);
      const prior = state.get(unitKey(item.key, task));
      let action: Action = o.retryFailed && prior?.status !== 'failed' ? 'pending' : 'run';
      let redo: string | undefined;
      if (prior?.status === 'done') {
        const problem = await outputsProblem(o.out, prior.outputs);
        if (problem === null) action = 'skip';
        else [action, redo] = ['run', `recorded as done, but ${problem}: filling it again`];
      }
      if (action === 'run') {
        // Files this batch's record names for the unit (an interrupted or broken attempt) may be rewritten.
        const ours = new Set(prior?.outputs ?? []);
        for (const rel of outputs) if (!ours.has(rel) && (await exists(absolute(o.out, rel)))) conflicts.push(absolute(o.out, rel));
      }
      units.push({ task, outputs, action, prior, redo });
    }
    plans.push({ item, seed: itemSeed(o.baseSeed, item.key), format, units });
  }
  return { plans, conflicts };
}

/** The error that stops a run whose outputs would land on files no record of this batch wrote. */
export function conflictError(conflicts: string[]): Error {
  return usageError(`${conflicts[0]} already exists and no record of this batch wrote it${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ''}; nothing is written over: move it or choose another --out`);
}
