import { METHODS, type MethodResult, type RgbaImage } from '../../electron/shared/contract';
import type { MaskedPatch } from '../lib/images';

/**
 * What the results history of one photo may hold, in bytes of pixel buffers (full-size patches, their
 * masks, thumbnails). A 24 MP photo's fill of a 1000 px region is 4 MB per sample, so this keeps dozens.
 */
export const HISTORY_BYTES = 256 * 2 ** 20;

/** One sample of one method of one fill, as the history strip keeps it. */
export interface ResultEntry {
  readonly id: number;
  /** Which fill of this photo made it (1, 2, ...): the strip groups entries by fill. */
  readonly fill: number;
  /** Its index among its method's samples in that fill, and how many there were. */
  readonly sample: number;
  readonly samples: number;
  /**
   * The method's result without pixels (timings, stages, provider...); its settings' seed is this
   * sample's own (a fill's samples use seed, seed + 1, ...), so a one-sample fill with it gives these pixels.
   */
  readonly result: Omit<MethodResult, 'samples'>;
  /** Page clock (Date.now) when it arrived. */
  readonly madeAt: number;
  /**
   * Full-size pixels, each patch with the mask it was filled under: re-applying writes exactly these
   * pixels where that mask was, whatever the mask is now. Null once the memory bound dropped them.
   */
  readonly patches: readonly MaskedPatch[] | null;
  readonly thumb: RgbaImage;
}

export type NewEntry = Omit<ResultEntry, 'id' | 'fill'>;
/** An entry that still has its full-size pixels (can be applied, compared, exported). */
export type FullEntry = ResultEntry & { readonly patches: readonly MaskedPatch[] };

const size = (b: number) => (b >= 2 ** 20 ? `${Math.round(b / 2 ** 20)} MB` : `${Math.round(b / 1024)} kB`);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Bytes the entries keep alive: each buffer once, whole. Patches decoded from one message are views of
 * its one buffer, which stays in memory until every view is gone, so that buffer is what counts.
 */
export function retainedBytes(entries: readonly ResultEntry[]): number {
  const seen = new Set<ArrayBufferLike>();
  let n = 0;
  const add = (a: Uint8Array) => {
    if (seen.has(a.buffer)) return;
    seen.add(a.buffer);
    n += a.buffer.byteLength;
  };
  for (const e of entries) {
    add(e.thumb.data);
    for (const p of e.patches ?? []) {
      add(p.image.data);
      add(p.mask);
    }
  }
  return n;
}

/**
 * The results history of the open photo (Krita AI Diffusion's history, for fills): every sample of every
 * fill stays until dismissed, through Apply, undo and Fill again. Past `limit` bytes the oldest entries'
 * full-size pixels go first (their thumbnail and settings stay), then the oldest entries; the latest
 * fill is never cut, as the compare view holds its pixels anyway. Entries are `$state.raw` and replaced
 * on change, so pixel buffers are never proxied.
 */
export class ResultHistory {
  entries = $state.raw<ResultEntry[]>([]);
  /** Ids picked for Apply, Compare, Export as sheet and Dismiss, in the order picked. */
  selected = $state.raw<number[]>([]);
  /** The entry that has the strip's one Tab stop (roving focus); null: the newest. */
  focus = $state<number | null>(null);
  /** Entries removed whole by the bound (their thumbnails too), since the photo was opened. */
  removed = $state(0);
  private nextId = 1;
  private fills = 0;
  private lastKey: string | null = null;

  readonly limit: number;
  constructor(limit = HISTORY_BYTES) {
    this.limit = limit;
  }

  /** Entries whose full-size pixels the bound dropped. */
  thin = $derived(this.entries.filter((e) => !e.patches).length);

  /** What the bound did, said under the strip while it matters. */
  note = $derived.by(() => {
    const parts: string[] = [];
    if (this.thin) parts.push(`${plural(this.thin, 'older result keeps', 'older results keep')} only a thumbnail and settings (no Apply, Compare or sheet)`);
    if (this.removed) parts.push(`${plural(this.removed, 'oldest result was', 'oldest results were')} removed`);
    return parts.length ? `To stay within ${size(this.limit)}: ${parts.join('; ')}.` : null;
  });

  entry(id: number): ResultEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** Those of `ids` that still have their full-size pixels, in that order. */
  full(ids: readonly number[]): FullEntry[] {
    return ids.map((id) => this.entry(id)).filter((e): e is FullEntry => !!e?.patches);
  }

  /**
   * Adds a method's samples; `fillKey` names the fill they belong to (its job id), so both methods of
   * one fill share a fill number. Within a fill the methods keep the compare view's order (METHODS),
   * whichever finished first: the two run side by side, and a strip reordered by their timing read as a
   * different result in the same place from one fill to the next.
   */
  add(fillKey: string, items: readonly NewEntry[]): void {
    if (!items.length) return;
    if (fillKey !== this.lastKey) {
      this.fills++;
      this.lastKey = fillKey;
    }
    const fill = this.fills;
    const added = items.map((it) => ({ ...it, id: this.nextId++, fill }));
    const rank = (e: ResultEntry) => METHODS.indexOf(e.result.method);
    // the latest fill's entries are the list's tail: those of a method after the new one's go after it
    let at = this.entries.length;
    while (at > 0 && this.entries[at - 1]!.fill === fill && rank(this.entries[at - 1]!) > rank(added[0]!)) at--;
    this.entries = [...this.entries.slice(0, at), ...added, ...this.entries.slice(at)];
    this.enforceLimit();
  }

  /** Oldest first: full-size pixels, then whole entries; never the latest fill's. */
  private enforceLimit(): void {
    let entries = this.entries;
    const latest = entries[entries.length - 1]?.fill;
    let removed = 0;
    while (retainedBytes(entries) > this.limit) {
      const i = entries.findIndex((e) => e.patches && e.fill !== latest);
      if (i >= 0) entries = entries.map((e, k) => (k === i ? { ...e, patches: null } : e));
      else if (entries[0] && entries[0].fill !== latest) {
        entries = entries.slice(1);
        removed++;
      } else break;
    }
    if (entries === this.entries) return;
    const ids = new Set(entries.map((e) => e.id));
    this.entries = entries;
    this.removed += removed;
    this.selected = this.selected.filter((id) => ids.has(id));
    if (this.focus !== null && !ids.has(this.focus)) this.focus = null;
  }

  /** Removes entries; a focus on one of them moves to the next entry left (or else the one before). */
  dismiss(ids: readonly number[]): void {
    const gone = new Set(ids);
    const kept = (e: ResultEntry) => !gone.has(e.id);
    if (this.focus !== null && gone.has(this.focus)) {
      const at = this.entries.findIndex((e) => e.id === this.focus);
      const next = this.entries.slice(at + 1).find(kept) ?? this.entries.slice(0, at).reverse().find(kept);
      this.focus = next?.id ?? null;
    }
    this.entries = this.entries.filter(kept);
    this.selected = this.selected.filter((id) => !gone.has(id));
  }

  /** A plain click: this entry alone. */
  select(id: number): void {
    this.selected = [id];
    this.focus = id;
  }

  /** Ctrl+click or Space: in or out of the selection. */
  toggle(id: number): void {
    this.selected = this.selected.includes(id) ? this.selected.filter((x) => x !== id) : [...this.selected, id];
    this.focus = id;
  }

  /** A reopened project's entries, oldest first: new ids, and later fills numbered after theirs. */
  restore(entries: readonly Omit<ResultEntry, 'id'>[]): void {
    this.reset();
    this.entries = entries.map((e) => ({ ...e, id: this.nextId++ }));
    this.fills = entries.reduce((n, e) => Math.max(n, e.fill), 0);
    this.enforceLimit();
  }

  /** A new photo: a new history. */
  reset(): void {
    this.entries = [];
    this.selected = [];
    this.focus = null;
    this.removed = 0;
    this.fills = 0;
    this.lastKey = null;
  }
}
