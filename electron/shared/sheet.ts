/**
 * The comparison sheet's layout and labels: original, mask, then each method's result, each tile with a
 * bold title and a grey line under it (time, settings, stages). One definition for the page's sheet
 * (renderer/lib/sheet.ts, drawn on a canvas) and `vqddm batch --sheets` (engine/io/compareSheet.ts, drawn
 * with sharp), so the two sheets cannot drift apart. Pure TypeScript (the page imports it).
 */
import type { FillSettings, FillStage, Method } from './contract.js';

export const METHOD_LABEL: Record<string, string> = { vqddm: 'VQ-DDM', transformer: 'Transformer' };

const STAGE_LABEL: Record<FillStage, string> = { coarse: 'coarse fill', 'guided-decoder': 'sharp decoder', 'detail-pass': 'detail pass', 'colour-anchor': 'colour anchoring', 'photo-texture': 'photo texture' };

/**
 * Which refinement stages made a result, e.g. "coarse fill + sharp decoder + photo texture at 0.8" (the
 * texture's strength where the settings give one under 1; results saved before the setting have none).
 */
export function describeStages(r: { stages: readonly FillStage[]; settings?: Partial<Pick<FillSettings, 'textureStrength'>> }): string {
  const strength = r.settings?.textureStrength;
  const label = (s: FillStage) => (s === 'photo-texture' && strength !== undefined && strength < 1 ? `${STAGE_LABEL[s]} at ${strength}` : STAGE_LABEL[s]);
  return r.stages.length === 1 ? 'coarse fill only (refinement off)' : r.stages.map(label).join(' + ');
}

type ShownSettings = Pick<FillSettings, 'steps' | 'truncation' | 'topK' | 'temperature' | 'seed'> & Partial<Pick<FillSettings, 'textureStrength'>>;

export function describeSettings(r: { method: Method; settings: ShownSettings }): string {
  const s = r.settings;
  const extra = r.method === 'vqddm' ? `steps ${s.steps}, truncation ${s.truncation}` : `top-k ${s.topK}`;
  return `${extra}, T ${s.temperature}, seed ${s.seed}`;
}

export interface TextStyle {
  family: string;
  /** Pixels. */
  size: number;
  bold: boolean;
  colour: string;
  /** The text's baseline, in pixels below the tile's bottom edge. */
  baseline: number;
}

/** Every number and colour of the sheet; tiles are scaled so the photo's long side is at most `tile`. */
export const SHEET = {
  tile: 512,
  pad: 16,
  /** Height of the label band under the tiles. */
  label: 44,
  background: '#ffffff',
  title: { family: 'sans-serif', size: 16, bold: true, colour: '#111111', baseline: 20 } satisfies TextStyle,
  /** Squeezed to the tile's width when longer (the canvas's `maxWidth`). */
  sub: { family: 'sans-serif', size: 12, bold: false, colour: '#444444', baseline: 38 } satisfies TextStyle,
} as const;

/** A style as a CSS font (the canvas's `font`). */
export const cssFont = (s: TextStyle) => `${s.bold ? 'bold ' : ''}${s.size}px ${s.family}`;

export interface SheetLayout {
  /** The sheet's size. */
  width: number;
  height: number;
  /** Every tile's size: the photo's, scaled down (never up) to fit `tile`. */
  tileWidth: number;
  tileHeight: number;
  /** Top edge of the tiles, and of the label band under them. */
  top: number;
  labelTop: number;
  /** Left edge of tile i. */
  left: (i: number) => number;
}

export function sheetLayout(photoWidth: number, photoHeight: number, tiles: number, tile: number = SHEET.tile): SheetLayout {
  const s = Math.min(1, tile / Math.max(photoWidth, photoHeight));
  const tileWidth = Math.round(photoWidth * s);
  const tileHeight = Math.round(photoHeight * s);
  const { pad, label } = SHEET;
  return {
    width: pad + tiles * (tileWidth + pad),
    height: pad + tileHeight + label + pad,
    tileWidth,
    tileHeight,
    top: pad,
    labelTop: pad + tileHeight,
    left: (i) => pad + i * (tileWidth + pad),
  };
}

export interface SheetLabel {
  title: string;
  sub: string;
}

/** The first two tiles' labels: the original (with its size) and the mask. */
export function inputLabels(width: number, height: number): [SheetLabel, SheetLabel] {
  return [{ title: 'Original', sub: `${width}×${height}` }, { title: 'Mask', sub: '' }];
}

/**
 * A result tile's label: the method, then its fill time, settings and stages. `sample` numbers the tile
 * when a method has several on the sheet; `stages` absent leaves that part out.
 */
export function resultLabel(r: { method: Method; settings: ShownSettings; stages?: readonly FillStage[]; totalMs: number }, sample?: { k: number; n: number }): SheetLabel {
  const name = METHOD_LABEL[r.method] ?? r.method;
  const parts = [`${(r.totalMs / 1000).toFixed(2)} s`, describeSettings(r), ...(r.stages ? [describeStages({ stages: r.stages, settings: r.settings })] : [])];
  return { title: sample && sample.n > 1 ? `${name} #${sample.k}` : name, sub: parts.join(' · ') };
}
