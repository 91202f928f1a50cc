/**
 * What Save sends the engine when it writes the edits into the file as opened (`api.encodeEdited`): the
 * region where results were applied and, for a file the page decoded itself, which of its pixels differ
 * from the page's own decode of the file. The page knows that exactly (its decoder gives the same pixels
 * every time); the engine's decoder converts a colour profile to sRGB with another colour engine, a
 * level off here and there, so it could not tell an unchanged pixel from a changed one as surely.
 */
import type { EditedRegion, RgbaImage } from '../../electron/shared/contract';
import { decodeInPage } from './decode';

/** 1 where `region`'s pixel differs (any channel) from `original`'s pixel at the same place in the photo. */
export function changedFlags(region: EditedRegion, original: RgbaImage): Uint8Array {
  const { x, y, image } = region;
  const out = new Uint8Array(image.width * image.height);
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < image.width; c++) {
      const i = ((y + r) * original.width + x + c) * 4;
      const j = (r * image.width + c) * 4;
      const o = original.data, e = image.data;
      out[r * image.width + c] = o[i] === e[j] && o[i + 1] === e[j + 1] && o[i + 2] === e[j + 2] && o[i + 3] === e[j + 3] ? 0 : 1;
    }
  }
  return out;
}

/**
 * `region` with its changed flags, the file decoded in the page again to compare with. Should the page
 * not decode it this time, the region goes without flags and the engine compares with its own decode.
 */
export async function withChangedFlags(region: EditedRegion, source: Uint8Array, maxPixels: number, minSide: number): Promise<EditedRegion> {
  const original = await decodeInPage(source, maxPixels, minSide);
  return original ? { ...region, changed: changedFlags(region, original.image) } : region;
}
