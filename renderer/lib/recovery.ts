/**
 * The recovery copy of the open document (autosave): what is stored, within what bound, and how the
 * document is rebuilt from it. Pure: the storage itself is `recoveryStore.ts` (IndexedDB), the timing
 * `state/autosave.svelte.ts`.
 *
 * Stored: the opened file's own bytes (decoded again on restore, exactly as when it was opened), the edit
 * history (mask ops as data; each applied result's `after` pixels, its `before` pixels being rebuilt by
 * replaying the history over the file), the settings and the results history (lib/recoveryEntries.ts).
 * Applied results and history entries are stored once each, under a key of their own, so a stroke
 * rewrites only the small history record.
 */
import type { RgbaImage } from '../../electron/shared/contract';
import type { AppliedPatch, Edit, EditInput } from './edits';
import { blitRgba, cropRgba } from './images';
import type { MaskOp } from './maskOps';
import type { EntryPixels, StoredEntry } from './recoveryEntries';

/**
 * The most the recovery copy holds: the file plus every applied result's pixels. Beyond it the history is
 * kept up to the last edit that fits (later edits are left out, and the page says so); a file larger than
 * this gets no recovery copy at all.
 */
export const RECOVERY_LIMIT_BYTES = 200 * 1024 * 1024;

/** One applied result's rectangle as stored: its pixels after the apply only. */
export interface StoredPatch {
  x: number;
  y: number;
  width: number;
  height: number;
  after: Uint8Array;
}

export type StoredEdit = { kind: 'mask'; op: MaskOp } | { kind: 'apply'; label: string; key: string };

/** The opened file, written once per document. */
export interface RecoveryDoc {
  name: string;
  path?: string;
  bytes: Uint8Array;
  openedAt: number;
}

/** The history and settings, rewritten after each change. */
export interface RecoveryState {
  savedAt: number;
  done: StoredEdit[];
  /** The redo stack, in the history's order (its last entry is redone first). */
  undone: StoredEdit[];
  /** How many of `done` were in effect when the document was last saved to a file; null: not reachable. */
  savedIndex: number | null;
  settings: Record<string, unknown>;
  /** Edits left out because the copy would have grown past the limit. */
  dropped: number;
  /** The results history, oldest first (copies written before it was kept have none). */
  entries?: StoredEntry[];
}

export interface Recovery {
  doc: RecoveryDoc;
  state: RecoveryState;
  /** Applied results by key. */
  patches: Map<string, StoredPatch[]>;
  /** The results history's pixels by key (state.entries). */
  entryPixels?: Map<string, EntryPixels>;
}

/**
 * What one autosave writes: the state, the applied results and history entries not stored yet, and the
 * keys no longer used.
 */
export interface RecoveryWrite {
  doc?: RecoveryDoc;
  state: RecoveryState;
  put: Map<string, StoredPatch[] | EntryPixels>;
  remove: string[];
}

/** Keys given to applied results (their patch arrays are immutable), so each is stored once. */
const keys = new WeakMap<readonly AppliedPatch[], string>();
let counter = 0;

export function patchKey(patches: readonly AppliedPatch[]): string {
  let k = keys.get(patches);
  if (!k) {
    k = `patch:${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    keys.set(patches, k);
  }
  return k;
}

/** Rough bytes of a mask op (points as numbers). */
function opBytes(op: MaskOp): number {
  return 'points' in op ? 64 + op.points.length * 8 : 64;
}

function editBytes(e: Edit): number {
  return e.kind === 'mask' ? opBytes(e.op) : e.patches.reduce((n, p) => n + p.after.byteLength + 64, 64);
}

function stored(e: Edit): StoredEdit {
  return e.kind === 'mask' ? { kind: 'mask', op: e.op } : { kind: 'apply', label: e.label, key: patchKey(e.patches) };
}

export interface RecoveryPlan {
  state: RecoveryState;
  /** Every applied result the state refers to, by key. */
  patches: Map<string, StoredPatch[]>;
  bytes: number;
}

/**
 * What the recovery copy holds for this history, within `limit` bytes together with the file's: the done
 * edits up to the last that fits, then as much of the redo stack (nearest first) as still fits. Null when
 * the file alone is over the limit.
 */
export function planRecovery(
  fileBytes: number,
  done: readonly Edit[],
  undone: readonly Edit[],
  savedId: number,
  settings: Record<string, unknown>,
  limit = RECOVERY_LIMIT_BYTES,
  now = Date.now(),
): RecoveryPlan | null {
  let bytes = fileBytes;
  if (bytes > limit) return null;
  const patches = new Map<string, StoredPatch[]>();
  const take = (e: Edit): StoredEdit | null => {
    const b = editBytes(e);
    if (bytes + b > limit) return null;
    bytes += b;
    const s = stored(e);
    if (e.kind === 'apply' && s.kind === 'apply') patches.set(s.key, e.patches.map(({ x, y, width, height, after }) => ({ x, y, width, height, after })));
    return s;
  };
  const keptDone: StoredEdit[] = [];
  for (const e of done) {
    const s = take(e);
    if (!s) break;
    keptDone.push(s);
  }
  const keptUndone: StoredEdit[] = [];
  if (keptDone.length === done.length) {
    for (let i = undone.length - 1; i >= 0; i--) {
      const s = take(undone[i]!);
      if (!s) break;
      keptUndone.unshift(s);
    }
  }
  const savedAt = savedId === 0 ? 0 : done.findIndex((e) => e.id === savedId) + 1;
  return {
    state: {
      savedAt: now,
      done: keptDone,
      undone: keptUndone,
      savedIndex: savedAt > 0 || savedId === 0 ? Math.min(savedAt, keptDone.length) : null,
      settings,
      dropped: done.length + undone.length - keptDone.length - keptUndone.length,
    },
    patches,
    bytes,
  };
}

function applied(image: RgbaImage, stored: StoredPatch[]): AppliedPatch[] {
  return stored.map((p) => {
    const before = cropRgba(image, p.x, p.y, p.width, p.height);
    blitRgba(image, p.x, p.y, p.width, p.height, p.after);
    return { x: p.x, y: p.y, width: p.width, height: p.height, before, after: p.after };
  });
}

function undoInto(image: RgbaImage, patches: AppliedPatch[]): void {
  for (let i = patches.length - 1; i >= 0; i--) {
    const p = patches[i]!;
    blitRgba(image, p.x, p.y, p.width, p.height, p.before);
  }
}

/**
 * Rebuilds the history over the freshly decoded file: `image` ends as it was when the copy was written
 * (done edits applied), each applied result with the pixels it replaced (so undo works), the redo stack
 * with the pixels redo will replace. Applied results whose pixels are missing or do not fit the image end
 * the history there. Keys are kept on the rebuilt patch arrays, so they are not stored again.
 */
export function replayRecovery(image: RgbaImage, rec: Pick<Recovery, 'state' | 'patches'>): { done: EditInput[]; undone: EditInput[]; complete: boolean } {
  const fits = (ps: StoredPatch[] | undefined): ps is StoredPatch[] =>
    !!ps && ps.every((p) => p.x >= 0 && p.y >= 0 && p.x + p.width <= image.width && p.y + p.height <= image.height && p.after.byteLength === p.width * p.height * 4);
  const rebuild = (e: StoredEdit): EditInput | null => {
    if (e.kind === 'mask') return { kind: 'mask', op: e.op };
    const ps = rec.patches.get(e.key);
    if (!fits(ps)) return null;
    const patches = applied(image, ps);
    keys.set(patches, e.key);
    return { kind: 'apply', label: e.label, patches };
  };
  const done: EditInput[] = [];
  for (const e of rec.state.done) {
    const r = rebuild(e);
    if (!r) return { done, undone: [], complete: false };
    done.push(r);
  }
  // Redo replaces what is there after the done edits: replay the redo stack from its top, then take it back.
  const undone: EditInput[] = [];
  let complete = true;
  for (let i = rec.state.undone.length - 1; i >= 0; i--) {
    const r = rebuild(rec.state.undone[i]!);
    if (!r) {
      complete = false;
      break;
    }
    undone.unshift(r);
  }
  for (const e of undone) if (e.kind === 'apply') undoInto(image, e.patches);
  return { done, undone, complete };
}
