import type { Edit } from './edits';
import { ctx2d, newCanvas, putRgba } from './images';

/**
 * The photo as it was before the applied results in `done`: a copy of the current pixels with each
 * result's `before` pixels written back, latest first (hold-to-compare and the wipe). Past the history's
 * limit the oldest applied results are no longer undoable, so they count as part of the original.
 */
export function originalCanvas(current: HTMLCanvasElement, done: readonly Edit[]): HTMLCanvasElement {
  const c = newCanvas(current.width, current.height);
  ctx2d(c).drawImage(current, 0, 0);
  for (let i = done.length - 1; i >= 0; i--) {
    const e = done[i]!;
    if (e.kind !== 'apply') continue;
    for (let j = e.patches.length - 1; j >= 0; j--) {
      const p = e.patches[j]!;
      putRgba(c, { width: p.width, height: p.height, data: p.before }, p.x, p.y);
    }
  }
  return c;
}
