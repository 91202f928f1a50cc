import type { Method, MethodResult } from '../../electron/shared/contract';
import { ViewState } from './view.svelte';

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
  /** Set when the results change, so the first panel fits the image. */
  needsFit = $state(true);

  show(): void {
    this.open = true;
  }
  close(): void {
    this.open = false;
  }
  reset(results: MethodResult[]): void {
    const sel: Record<string, number> = {};
    for (const r of results) sel[r.method] = 0;
    this.selected = sel;
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
