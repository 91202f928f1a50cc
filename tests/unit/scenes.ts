/** Synthetic regions with a hole, for the refinement stages' unit tests. */
import type { Pixels } from '../../electron/engine/image/pixels.js';

/**
 * A w x h region and its mask: `hole(x, y)` says which pixels are to be filled, `rgb(x, y, inHole)` each
 * pixel's colour (the fill's inside the hole, the photo's outside it).
 */
export function colourScene(w: number, h: number, hole: (x: number, y: number) => boolean, rgb: (x: number, y: number, inHole: boolean) => number[]): { img: Pixels; mask: Uint8Array } {
  const data = new Uint8Array(w * h * 4);
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      mask[i] = hole(x, y) ? 1 : 0;
      data.set([...rgb(x, y, mask[i] === 1), 255], i * 4);
    }
  }
  return { img: { width: w, height: h, data }, mask };
}

/** `colourScene` in grey: `grey(x, y, inHole)` each pixel's level. */
export function greyScene(w: number, h: number, hole: (x: number, y: number) => boolean, grey: (x: number, y: number, inHole: boolean) => number): { img: Pixels; mask: Uint8Array } {
  return colourScene(w, h, hole, (x, y, inHole) => {
    const v = grey(x, y, inHole);
    return [v, v, v];
  });
}
