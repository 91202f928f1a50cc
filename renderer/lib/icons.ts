/**
 * Toolbar icons, 16x16 SVG paths in `currentColor`: `fill` shapes are filled, `line` shapes stroked.
 * The buttons carry the names (aria-label) and shortcuts (title); icons are decoration.
 */
export interface IconShape {
  fill?: string;
  line?: string;
}

export const ICONS = {
  brush: { fill: 'M14 1.3l.7.7-6 7.4-2.1-2.1zM5.8 8.1l2.1 2.1c0 2.6-2.2 4.6-6.4 4.3.9-.7 1.1-1.5 1.2-2.6.1-2.1 1.4-3.7 3.1-3.8z' },
  eraser: { fill: 'M9.8 1.5l4.7 4.7-6.2 6.3-4.7-4.7zM2.9 8.5l4.6 4.6-1.4 1.4H3.3L1.5 12.7V9.9z' },
  rect: { line: 'M2.5 3.5h11v9h-11z', fill: 'M1 2h3v3H1zM12 2h3v3h-3zM1 11h3v3H1zM12 11h3v3h-3z' },
  lasso: { line: 'M8 2.5c3.3 0 5.5 1.5 5.5 3.5S11.3 9.5 8 9.5 2.5 8 2.5 6 4.7 2.5 8 2.5zM5.2 9c-.9 1.4-.5 3 1 3.8.8.4.8 1.3 0 1.7' },
  pan: { fill: 'M8 .5l2.6 2.7H8.9v3.9h3.9V5.4L15.5 8l-2.7 2.6V8.9H8.9v3.9h1.7L8 15.5l-2.6-2.7h1.7V8.9H3.2v1.7L.5 8l2.7-2.6v1.7h3.9V3.2H5.4z' },
  undo: { line: 'M4.5 6.5h6a3 3 0 010 6H7M7 3.5l-3 3 3 3' },
  redo: { line: 'M11.5 6.5h-6a3 3 0 000 6H9M9 3.5l3 3-3 3' },
} satisfies Record<string, IconShape>;

export type IconName = keyof typeof ICONS;
