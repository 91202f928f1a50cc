import { effectiveMaskOps, type Edit, type EditInput } from '../lib/edits';
import type { MaskOp } from '../lib/maskOps';

/**
 * Undo/redo for mask edits and applied results. Edits are immutable data; the arrays are `$state.raw`
 * and replaced on every change, so big patch buffers are never proxied.
 */
export class EditHistory {
  done = $state.raw<Edit[]>([]);
  undone = $state.raw<Edit[]>([]);
  /** Id of the state last saved to disk (0 = the freshly opened file). */
  savedId = $state(0);
  private nextId = 1;

  readonly limit: number;
  constructor(limit = 200) {
    this.limit = limit;
  }

  maskOps: MaskOp[] = $derived(effectiveMaskOps(this.done));
  canUndo = $derived(this.done.length > 0);
  canRedo = $derived(this.undone.length > 0);
  /** Id of the current state: the last edit in effect, 0 when none. */
  currentId = $derived(this.done.length ? this.done[this.done.length - 1]!.id : 0);
  dirty = $derived(this.currentId !== this.savedId);

  push(edit: EditInput): Edit {
    const e = { ...edit, id: this.nextId++ } as Edit;
    let done = [...this.done, e];
    // Drop the oldest edits past the limit; the saved mark then can no longer be reached by undo.
    if (done.length > this.limit) done = done.slice(done.length - this.limit);
    this.done = done;
    this.undone = [];
    return e;
  }

  undo(): Edit | undefined {
    const e = this.done[this.done.length - 1];
    if (!e) return undefined;
    this.done = this.done.slice(0, -1);
    this.undone = [...this.undone, e];
    return e;
  }

  redo(): Edit | undefined {
    const e = this.undone[this.undone.length - 1];
    if (!e) return undefined;
    this.undone = this.undone.slice(0, -1);
    this.done = [...this.done, e];
    return e;
  }

  markSaved(): void {
    this.savedId = this.currentId;
  }

  /**
   * The history of a restored document (recovery copy): `done` in effect, `undone` to redo; the saved
   * state is the first `savedIndex` done edits (null: none of them, the document differs from any file).
   */
  restore(done: readonly EditInput[], undone: readonly EditInput[], savedIndex: number | null): void {
    const withId = (e: EditInput) => ({ ...e, id: this.nextId++ }) as Edit;
    this.done = done.map(withId);
    this.undone = undone.map(withId);
    this.savedId = savedIndex === null ? -1 : savedIndex === 0 ? 0 : (this.done[savedIndex - 1]?.id ?? -1);
  }

  reset(): void {
    this.done = [];
    this.undone = [];
    this.savedId = 0;
  }
}
