import type { Method, MethodResult, Patch } from '../../electron/shared/contract';
import { ViewState } from './view.svelte';
import { patchBounds } from '../lib/images';

export type CompareMode = 'side' | 'divider' | 'difference';

/** What the compare view shows: which sample of each method, and how. */
export class CompareState {
  open = $state(false);
  mode = $state<CompareMode>('side');
  /** Divider position across a panel, 0..1 (original left, result right). */
  divider = $state(0.5);
  selected = $state<Record<string, number>>({});
  /** One view for all panels, so zoom and pan stay in step across them. */
  readonly view = new ViewState();
  /** Set when the results change, so the first panel fits the view to `focus`. */
  needsFit = $state(true);
  /** What the view fits to: the changed region (with context), or the whole image when null. */
  focus = $state.raw<{ x: number; y: number; w: number; h: number } | null>(null);

  /** Results history entries shown instead of the current fill's results (their ids); null: the fill's. */
  entries = $state.raw<number[] | null>(null);

  /** The current fill's results. */
  show(): void {
    this.entries = null;
    this.open = true;
  }
  close(): void {
    this.open = false;
  }
  /** History entries side by side (`patches`: theirs, to zoom onto). */
  showEntries(ids: number[], patches: Patch[], imageW: number, imageH: number): void {
    this.entries = ids;
    this.focusOn(patches, imageW, imageH);
    this.open = true;
  }
  reset(results: MethodResult[], imageW: number, imageH: number): void {
    const sel: Record<string, number> = {};
    for (const r of results) sel[r.method] = 0;
    this.selected = sel;
    this.focusOn(results.flatMap((r) => r.samples[0]?.patches ?? []), imageW, imageH);
  }
  private focusOn(patches: Patch[], imageW: number, imageH: number): void {
    // Zoom onto the changed region with as much context again around it; on a small photo, all of it.
    const b = patchBounds(patches);
    if (b && b.w * b.h < (imageW * imageH) / 4) {
      const m = Math.max(b.w, b.h) / 2;
      const x = Math.max(0, b.x - m), y = Math.max(0, b.y - m);
      this.focus = { x, y, w: Math.min(imageW, b.x + b.w + m) - x, h: Math.min(imageH, b.y + b.h + m) - y };
    } else this.focus = null;
    this.needsFit = true;
  }
  /** The Fit button: the whole photo in view (opening zooms onto the changed region instead). */
  fitPhoto(): void {
    this.focus = null;
    this.needsFit = true;
  }
  pick(method: Method, index: number): void {
    this.selected = { ...this.selected, [method]: index };
  }
  sampleOf(method: Method): number {
    return this.selected[method] ?? 0;
  }
  setDivider(v: number): void {
    this.divider = Math.min(1, Math.max(0, v));
  }
}
