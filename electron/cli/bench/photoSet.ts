/**
 * Photos for the batch bench: `count` JPEGs of 0.3 to 1 MP made from the bench photo (the repository has
 * one, tests/fixtures/photo.jpg), each resized (Lanczos) to cover its own size and aspect ratio, flipped
 * and/or mirrored, and cropped at its own place; and two box masks each, under the same stem (`--pair
 * stem`): in masks/ 3 to 8 % of its area, in small-masks/ SMALL_BOX pixels square (one crop at the packs'
 * trained grid: the fill costs little next to reading and writing the photo), each at its own place.
 * Each photo's numbers come from its index, so every run makes the same set.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../engine/math/rng.js';

/** The side of the small masks' box, in pixels. */
export const SMALL_BOX = 32;

export interface PhotoSet {
  images: string;
  masks: string;
  smallMasks: string;
  /** Each photo's size in megapixels, and its mask's share of it. */
  megapixels: number[];
  maskFractions: number[];
}

const ASPECTS = [4 / 3, 3 / 2, 1, 3 / 4, 2 / 3];

const boxPng = (width: number, height: number, x0: number, y0: number, side: number): Promise<Buffer> => {
  const mask = Buffer.alloc(width * height);
  for (let y = y0; y < y0 + side; y++) mask.fill(255, y * width + x0, y * width + x0 + side);
  return sharp(mask, { raw: { width, height, channels: 1 } }).png().toBuffer();
};

/** Writes the set under `dir` (photos/, masks/, small-masks/): `p000.jpg` with `masks/p000.png`, and so on. */
export async function makePhotoSet(dir: string, count: number, source: string): Promise<PhotoSet> {
  const set: PhotoSet = { images: join(dir, 'photos'), masks: join(dir, 'masks'), smallMasks: join(dir, 'small-masks'), megapixels: [], maskFractions: [] };
  for (const d of [set.images, set.masks, set.smallMasks]) await mkdir(d, { recursive: true });
  for (let i = 0; i < count; i++) {
    const rng = new Rng(i + 1);
    const r = () => rng.uniform();
    const mp = 0.3 + 0.7 * r();
    const aspect = ASPECTS[Math.floor(r() * ASPECTS.length)];
    const width = Math.round(Math.sqrt(mp * 1e6 * aspect));
    const height = Math.round(width / aspect);
    const grow = 1 + 0.3 * r();
    const [cw, ch] = [Math.ceil(width * grow), Math.ceil(height * grow)];
    let img = sharp(source).resize(cw, ch, { fit: 'cover', kernel: 'lanczos3' });
    if (r() < 0.5) img = img.flip();
    if (r() < 0.5) img = img.flop();
    const left = Math.floor(r() * (cw - width + 1));
    const top = Math.floor(r() * (ch - height + 1));
    const name = `p${String(i).padStart(3, '0')}`;
    await writeFile(join(set.images, `${name}.jpg`), await sharp(await img.toBuffer()).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer());

    const fraction = 0.03 + 0.05 * r();
    const side = Math.round(Math.sqrt(fraction * width * height));
    await writeFile(join(set.masks, `${name}.png`), await boxPng(width, height, Math.floor(r() * (width - side)), Math.floor(r() * (height - side)), side));
    await writeFile(join(set.smallMasks, `${name}.png`), await boxPng(width, height, Math.floor(r() * (width - SMALL_BOX)), Math.floor(r() * (height - SMALL_BOX)), SMALL_BOX));
    set.megapixels.push((width * height) / 1e6);
    set.maskFractions.push((side * side) / (width * height));
  }
  return set;
}
