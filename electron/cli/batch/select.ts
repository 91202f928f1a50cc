/**
 * What a run does with each item's units (one per method, plus "mask" with --masks-out and "sheet" with
 * --sheets), from the record: a unit whose record says done and whose files decode is skipped; any other
 * runs (with --retry-failed, only the failed ones; the rest wait). A sheet shows its item's fills, so it
 * is made again whenever one of them is. A file in the way that no record of this batch wrote stops the
 * run before it starts (`conflictError`), naming the file: nothing is ever written over.
 */
import { access } from 'node:fs/promises';
import type { ImageFormat } from '../../shared/contract.js';
import type { BatchOptions } from './options.js';
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

export interface SelectOptions {
  out: string;
  methods: string[];
  masksOut: boolean;
  sheets: boolean;
  samples: number;
  format: ImageFormat | null;
  baseSeed: number;
  retryFailed: boolean;
  /** Appended to every output's stem (--in-place-suffix; '' without). */
  suffix: string;
}

/** The options' part of `SelectOptions`; the samples and base seed are the batch's settings'. */
export function selectOptions(o: Pick<BatchOptions, 'out' | 'methods' | 'masksOut' | 'sheets' | 'format' | 'retryFailed' | 'inPlaceSuffix'>): Omit<SelectOptions, 'samples' | 'baseSeed'> {
  return { out: o.out, methods: o.methods, masksOut: o.masksOut, sheets: o.sheets, format: o.format, retryFailed: o.retryFailed, suffix: o.inPlaceSuffix ?? '' };
}

export async function selectWork(items: Item[], o: SelectOptions, state: Map<string, RecordLine>): Promise<{ plans: ItemPlan[]; conflicts: string[] }> {
  // The sheet comes last: it is made from the item's fills.
  const tasks = [...(o.masksOut ? ['mask'] : []), ...o.methods, ...(o.sheets ? ['sheet'] : [])];
  const conflicts: string[] = [];
  const plans: ItemPlan[] = [];
  for (const item of items) {
    const format = outputFormat(o.format, item.photo);
    const units: UnitPlan[] = [];
    for (const task of tasks) {
      const outputs = outputsOf(item, task, o.samples, format, o.suffix);
      const prior = state.get(unitKey(item.key, task));
      let action: Action = o.retryFailed && prior?.status !== 'failed' ? 'pending' : 'run';
      let redo: string | undefined;
      if (prior?.status === 'done') {
        const problem = await outputsProblem(o.out, prior.outputs);
        if (problem === null) action = 'skip';
        else [action, redo] = ['run', `recorded as done, but ${problem}: filling it again`];
        if (action === 'skip' && task === 'sheet' && units.some((u) => u.action === 'run' && o.methods.includes(u.task))) [action, redo] = ['run', 'its fills are made again: so is the sheet'];
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
