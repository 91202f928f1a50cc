import { planRecovery, RECOVERY_LIMIT_BYTES, type Recovery, type RecoveryDoc, type StoredPatch } from '../lib/recovery';
import type { RecoveryBackend } from '../lib/recoveryStore';
import type { Edit } from '../lib/edits';
import type { SavedEntry } from '../lib/savedEntry';
import { planEntries, type EntryPixels } from '../lib/recoveryEntries';

/** off: no document or no storage; idle: nothing to keep (no edits); pending: a change waits; saved; failed. */
export type AutosaveStatus = 'off' | 'idle' | 'pending' | 'saved' | 'failed';

export interface AutosaveSnapshot {
  done: readonly Edit[];
  undone: readonly Edit[];
  savedId: number;
  settings: Record<string, unknown>;
  /** The results history, oldest first. */
  entries: readonly SavedEntry[];
}

const MB = 1024 * 1024;

/**
 * Keeps a recovery copy of the open document (lib/recovery.ts) a moment after each change and when the
 * page closes, so a reload or a crash loses at most the last moment's work. Writes run one at a time;
 * a change during a write is written after it.
 */
export class Autosave {
  status = $state<AutosaveStatus>('off');
  /** What the copy cannot hold, or why it failed: set once per document, for the page to say. */
  problem = $state<string | null>(null);

  private doc: RecoveryDoc | null = null;
  /** The current document's file is in storage; with it, these applied results and history entries. */
  private docWritten = false;
  private stored = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private reported = false;
  private readonly backend: RecoveryBackend | null;
  private readonly snapshot: () => AutosaveSnapshot;
  readonly delayMs: number;
  readonly limit: number;

  constructor(backend: RecoveryBackend | null, snapshot: () => AutosaveSnapshot, delayMs = 500, limit = RECOVERY_LIMIT_BYTES) {
    this.backend = backend;
    this.snapshot = snapshot;
    this.delayMs = delayMs;
    this.limit = limit;
  }

  /** The open document's file as it was opened (the project file keeps it). */
  get source(): RecoveryDoc | null {
    return this.doc;
  }

  /** The copy left by the last session, if any. */
  async load(): Promise<Recovery | null> {
    if (!this.backend) return null;
    try {
      return await this.backend.load();
    } catch {
      return null;
    }
  }

  /**
   * A document was opened (or restored: then its file and `storedKeys` are in storage already). Nothing is
   * written until it changes; the previous document's copy goes at the next write.
   */
  begin(doc: RecoveryDoc, restored?: Recovery): void {
    this.doc = doc;
    this.docWritten = !!restored;
    this.stored = new Set(restored ? [...restored.patches.keys(), ...(restored.entryPixels?.keys() ?? [])] : []);
    this.problem = null;
    this.reported = false;
    this.status = this.backend ? 'idle' : 'off';
    this.schedule();
  }

  /** Something changed: write the copy a moment after the last change. */
  schedule(): void {
    if (!this.backend || !this.doc) return;
    if (this.timer) clearTimeout(this.timer);
    this.status = 'pending';
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Write now (the page is closing, or the delay is over). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.backend || !this.doc) return this.chain;
    this.chain = this.chain.then(() => this.write()).catch((e: unknown) => {
      this.status = 'failed';
      this.report(`No recovery copy could be kept (${e instanceof Error ? e.message : String(e)}): save your work to keep it.`);
    });
    return this.chain;
  }

  /** Forget the copy (the person chose Discard). */
  async discard(): Promise<void> {
    this.doc = null;
    this.docWritten = false;
    this.stored.clear();
    this.status = 'off';
    await this.chain;
    await this.backend?.clear().catch(() => undefined);
  }

  private report(text: string): void {
    if (this.reported) return;
    this.reported = true;
    this.problem = text;
  }

  private async write(): Promise<void> {
    const backend = this.backend, doc = this.doc;
    if (!backend || !doc || this.timer) return;
    const snap = this.snapshot();
    if (!snap.done.length && !snap.undone.length && !snap.entries.length) {
      // Nothing that the file itself does not hold: no copy (and none of an earlier document).
      await backend.clear();
      this.docWritten = false;
      this.stored.clear();
      if (!this.timer) this.status = 'idle';
      return;
    }
    const plan = planRecovery(doc.bytes.byteLength, snap.done, snap.undone, snap.savedId, snap.settings, this.limit);
    if (!plan) {
      await backend.clear();
      this.docWritten = false;
      this.stored.clear();
      this.status = 'off';
      this.report(`${doc.name} is over ${Math.round(this.limit / MB)} MB, too large for a recovery copy: save your work to keep it.`);
      return;
    }
    // The results history in what is left, newest entries first.
    const entries = planEntries(snap.entries, this.limit - plan.bytes);
    const records = new Map<string, StoredPatch[] | EntryPixels>([...plan.patches, ...entries.pixels]);
    const have = this.docWritten ? this.stored : new Set<string>();
    const put = new Map([...records].filter(([k]) => !have.has(k)));
    const remove = [...have].filter((k) => !records.has(k));
    await backend.write({ doc: this.docWritten ? undefined : doc, state: { ...plan.state, entries: entries.stored }, put, remove });
    if (this.doc !== doc) return;
    this.docWritten = true;
    this.stored = new Set(records.keys());
    const limit = `The recovery copy is limited to ${Math.round(this.limit / MB)} MB`;
    if (plan.state.dropped > 0) {
      const n = plan.state.dropped;
      this.report(`${limit}: it leaves out the last ${n === 1 ? 'edit' : `${n} edits`}. Save your work to keep ${n === 1 ? 'it' : 'them'}.`);
    } else if (entries.leftOut || entries.thinned) {
      const parts = [entries.thinned && `keeps only the thumbnail and settings of ${entries.thinned} older result${entries.thinned === 1 ? '' : 's'}`, entries.leftOut && `leaves out the ${entries.leftOut} oldest`].filter(Boolean);
      this.report(`${limit}: of the results history it ${parts.join(' and ')}. Save a project (Save…, Save project) to keep them all.`);
    }
    if (!this.timer) this.status = 'saved';
  }
}
