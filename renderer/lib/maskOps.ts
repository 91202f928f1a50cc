/** Mask edits as plain data, in image pixel coordinates. The history stores these, never bitmaps. */
export type MaskOp =
  | { kind: 'stroke'; erase: boolean; size: number; hardness: number; points: number[] }
  | { kind: 'rect'; erase: boolean; x: number; y: number; w: number; h: number }
  | { kind: 'lasso'; erase: boolean; points: number[] }
  | { kind: 'invert' }
  | { kind: 'clear' };
