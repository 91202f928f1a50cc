/**
 * The results history in the recovery copy (lib/recovery.ts keeps the edits): each entry described in the
 * state record, its pixels (thumbnail, full-size patches with their masks) under a key of its own, written
 * once. Within what the copy has left after the file and the edits: newest entries first, whole, else
 * their thumbnail and settings only (as the history's own bound leaves older ones), else left out.
 */
import type { RgbaImage } from '../../electron/shared/contract';
import type { MaskedPatch } from './images';
import type { SavedEntry } from './savedEntry';

/** An entry as the state record describes it; its pixels are the record `key`. */
export interface StoredEntry extends Omit<SavedEntry, 'patches' | 'thumb'> {
  key: string;
}

/** One entry's pixels: patches null when it keeps its thumbnail only. */
export interface EntryPixels {
  thumb: RgbaImage;
  patches: MaskedPatch[] | null;
}

export interface EntriesPlan {
  stored: StoredEntry[];
  /** The pixels of every stored entry, by key. */
  pixels: Map<string, EntryPixels>;
  bytes: number;
  /** Entries kept with their thumbnail only, and entries left out, for want of room. */
  thinned: number;
  leftOut: number;
}

/**
 * Entries keep their thumbnail object through the history's changes (a thinned entry is a copy of it), so
 * the thumbnail names the entry; the key also says whether its full-size pixels are in the record.
 */
const names = new WeakMap<RgbaImage, string>();
let counter = 0;

export function entryKey(e: Pick<SavedEntry, 'thumb' | 'patches'>): string {
  let k = names.get(e.thumb);
  if (!k) {
    k = `entry:${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    names.set(e.thumb, k);
  }
  return `${k}:${e.patches ? 'full' : 'thumb'}`;
}

const thumbBytes = (e: SavedEntry) => e.thumb.data.byteLength + 256;
const fullBytes = (e: SavedEntry) => (e.patches ?? []).reduce((n, p) => n + p.image.data.byteLength + p.mask.byteLength + 64, thumbBytes(e));

export function planEntries(entries: readonly SavedEntry[], budget: number): EntriesPlan {
  const stored: StoredEntry[] = [];
  const pixels = new Map<string, EntryPixels>();
  let bytes = 0, thinned = 0, leftOut = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    let kept: SavedEntry | null = null;
    if (e.patches && bytes + fullBytes(e) <= budget) kept = e;
    else if (bytes + thumbBytes(e) <= budget) kept = e.patches ? { ...e, patches: null } : e;
    if (!kept) {
      leftOut = i + 1; // this one and every older one
      break;
    }
    if (kept !== e) thinned++;
    bytes += kept.patches ? fullBytes(kept) : thumbBytes(kept);
    const key = entryKey(kept);
    const { patches, thumb, ...described } = kept;
    stored.unshift({ ...described, key });
    pixels.set(key, { thumb, patches: patches ? [...patches] : null });
  }
  return { stored, pixels, bytes, thinned, leftOut };
}

/**
 * The entries of a recovery copy, oldest first; one whose pixels are missing or do not match its
 * description is left out. Their thumbnails keep their keys, so they are not stored again.
 */
export function restoredEntries(stored: readonly StoredEntry[], pixels: ReadonlyMap<string, EntryPixels>): SavedEntry[] {
  const out: SavedEntry[] = [];
  for (const { key, ...e } of stored) {
    const p = pixels.get(key);
    const whole = (q: MaskedPatch) => q.image.data.byteLength === q.image.width * q.image.height * 4 && q.mask.byteLength === q.image.width * q.image.height;
    if (!p || p.thumb.data.byteLength !== p.thumb.width * p.thumb.height * 4 || (key.endsWith(':full') && !p.patches?.every(whole))) continue;
    names.set(p.thumb, key.replace(/:(full|thumb)$/, ''));
    out.push({ ...e, thumb: p.thumb, patches: key.endsWith(':full') ? p.patches : null });
  }
  return out;
}
