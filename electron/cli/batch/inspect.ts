/**
 * One item's files read and checked: the photo decoded (EXIF orientation applied), its mask found by the
 * rule, oriented the same way, brought to the photo's size (nearest-neighbour, only when the aspect ratio
 * matches) and checked for being empty. Every problem is an ApiError naming the file and, for sizes, both
 * sizes. The dry run uses the same checks on headers where it can.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { ApiError, type MaskImage } from '../../shared/contract.js';
import { decodeImage, decodeMask, type DecodedImage } from '../../engine/image/codec.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { readInput } from '../../engine/io/readInput.js';
import { IMAGE_EXTENSIONS, type Item } from './pairing.js';

export { readInput };

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Width and height as displayed (EXIF orientation applied), from the header only. */
export async function orientedSize(bytes: Uint8Array, what: string): Promise<{ width: number; height: number; hasAlpha: boolean }> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ApiError('BAD_IMAGE', `${what} is not a readable image (expected PNG, JPEG, WebP, TIFF, AVIF or GIF)`);
  }
  const [w, h] = [meta.width ?? 0, meta.height ?? 0];
  const swap = (meta.orientation ?? 1) >= 5;
  return { width: swap ? h : w, height: swap ? w : h, hasAlpha: meta.hasAlpha === true };
}

/** The mask scaled to the photo's width has the photo's height within a pixel (or the other way round). */
export function aspectMatches(mw: number, mh: number, w: number, h: number): boolean {
  return Math.abs(mw * h - mh * w) <= Math.max(mw, mh);
}

export interface ItemMask {
  mask: MaskImage;
  /** Said when the mask was resized, e.g. "mask 128x96 resized to 256x192 (nearest-neighbour)". */
  note: string | null;
}

/** The transparent pixels (alpha < half) of an RGBA image, as a mask. */
export function alphaMask(image: Pixels): MaskImage {
  const half = image.data instanceof Uint16Array ? 32768 : 128;
  const data = new Uint8Array(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i * 4 + 3] < half ? 255 : 0;
  return { width: image.width, height: image.height, data };
}

/** Reads masks once per file: with `--pair single` every photo uses the same one. */
export class MaskReader {
  private bytes = new Map<string, Promise<Buffer>>();

  /** `keep`: the single rule's one file is kept; any other mask is read once anyway. */
  private read(path: string, keep: boolean): Promise<Buffer> {
    let p = this.bytes.get(path);
    if (!p) {
      p = readInput(path, 'mask');
      if (keep) this.bytes.set(path, p);
    }
    return p;
  }

  /** The item's mask at the photo's size (w x h); `image` is needed for the alpha rule. */
  async maskFor(item: Item, w: number, h: number, image?: DecodedImage): Promise<ItemMask> {
    let mask: MaskImage;
    let note: string | null = null;
    if (item.rule === 'alpha') {
      if (!image) throw new Error('alpha rule without the image');
      if (!image.hasAlpha) throw new ApiError('BAD_IMAGE', `the photo ${item.photo} has no alpha channel (--pair alpha fills its transparent pixels)`);
      mask = alphaMask(image.pixels);
    } else {
      if (!item.mask) throw new ApiError('BAD_REQUEST', item.problem ?? 'no mask');
      const bytes = await this.read(item.mask, item.rule === 'single');
      const size = await orientedSize(bytes, `the mask ${item.mask}`);
      const same = size.width === w && size.height === h;
      if (!same && !aspectMatches(size.width, size.height, w, h)) {
        throw new ApiError('MASK_SIZE_MISMATCH', `the mask ${item.mask} is ${size.width}x${size.height} but the photo is ${w}x${h}, another aspect ratio: not resized`);
      }
      mask = await decodeMask(bytes, w, h, !same);
      if (!same) note = `mask ${size.width}x${size.height} resized to ${w}x${h} (nearest-neighbour)`;
    }
    if (!mask.data.some((v) => v >= 128)) {
      throw new ApiError('EMPTY_MASK', item.rule === 'alpha' ? `the photo ${item.photo} has no transparent pixel: nothing to fill` : `the mask ${item.mask} is empty (no pixel is white): nothing to fill`);
    }
    return { mask, note };
  }
}

/** The original of an item in --reference: the same folder and stem, any image extension. */
export async function findReference(root: string, item: Item): Promise<string> {
  const dir = join(root, item.dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new ApiError('IO_ERROR', `no reference for ${item.key}: cannot list ${dir}`);
  }
  const found = names.filter((n) => !n.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && n.slice(0, n.length - extname(n).length) === item.stem);
  if (found.length === 0) throw new ApiError('IO_ERROR', `no reference for ${item.key}: nothing named ${item.stem}.<png|jpg|...> in ${dir}`);
  if (found.length > 1) throw new ApiError('IO_ERROR', `two references for ${item.key}: ${found.join(', ')} in ${dir}`);
  return join(dir, found[0]);
}

export async function decodeReference(path: string, width: number, height: number): Promise<Pixels> {
  const ref = await decodeImage(await readInput(path, 'reference'), `the reference ${path}`);
  if (ref.pixels.width !== width || ref.pixels.height !== height) {
    throw new ApiError('MASK_SIZE_MISMATCH', `the reference ${path} is ${ref.pixels.width}x${ref.pixels.height} but the photo is ${width}x${height}`);
  }
  return ref.pixels;
}
