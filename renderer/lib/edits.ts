/** The edit history's entries as plain data: mask ops and applied results (never bitmaps of the mask). */
import type { MaskOp } from './maskOps';

/** A rectangle of the document's pixels before and after an applied result (for undo). */
export interface AppliedPatch {
  x: number;
  y: number;
  width: number;
  height: number;
  before: Uint8Array;
  after: Uint8Array;
}

export type Edit =
  | { id: number; kind: 'mask'; op: MaskOp }
  | { id: number; kind: 'apply'; label: string; patches: AppliedPatch[] };

export type EditInput = { kind: 'mask'; op: MaskOp } | { kind: 'apply'; label: string; patches: AppliedPatch[] };

/** The mask ops still in effect: those after the last `clear` or applied result. */
export function effectiveMaskOps(done: readonly Edit[]): MaskOp[] {
  const ops: MaskOp[] = [];
  for (let i = done.length - 1; i >= 0; i--) {
    const e = done[i]!;
    if (e.kind === 'apply') break;
    if (e.op.kind === 'clear') break;
    ops.push(e.op);
  }
  return ops.reverse();
}
