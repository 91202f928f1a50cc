/**
 * The editor's Save written into the file as opened (encodeEdited, engine/io/editedOutput.ts), with the
 * page's pixels as the page holds them (8-bit sRGB) and a block of them changed: the file's profile and
 * depth kept, every other pixel the value the file stores, and each changed pixel the page's colour put
 * into the file's space (decoded back to sRGB it is the page's value within rounding), not its sRGB
 * numbers written as they are.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../electron/engine/image/codec.js';
import { toRgba8 } from '../../electron/engine/image/pixels.js';
import type { EditedRegion } from '../../electron/shared/contract.js';
import { encodeEdited } from '../../electron/engine/io/editedOutput.js';
import { adobeRgbLikeProfile } from './icc.js';
import { PHOTO, storedValues, tempDir } from './helpers.js';

const BLOCK = { x: 40, y: 30, w: 24, h: 16 };
const W = 256, H = 192;

/** The page's copy of the file (what decodeImage gives it: sRGB, 8 bits) with BLOCK painted a ramp of colours. */
async function edited(file: Buffer, changedFlags: boolean): Promise<EditedRegion> {
  const seen = toRgba8((await decodeImage(file)).pixels);
  const x = BLOCK.x - 8, y = BLOCK.y - 8, w = BLOCK.w + 16, h = BLOCK.h + 16; // a region wider than what changed
  const data = new Uint8Array(w * h * 4);
  const changed = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const j = (r * w + c) * 4;
      const inside = c >= 8 && c < 8 + BLOCK.w && r >= 8 && r < 8 + BLOCK.h;
      if (inside) {
        data.set([40 + c * 4, 200 - r * 5, 90 + ((c * r) % 120), 255], j);
        changed[r * w + c] = 1;
      } else data.set(seen.subarray(((y + r) * W + x + c) * 4, ((y + r) * W + x + c) * 4 + 4), j);
    }
  }
  return { x, y, image: { width: w, height: h, data }, ...(changedFlags ? { changed } : {}) };
}

const stored = (file: Buffer) => storedValues(file);

const inBlock = (p: number) => {
  const x = p % W, y = Math.floor(p / W);
  return x >= BLOCK.x && x < BLOCK.x + BLOCK.w && y >= BLOCK.y && y < BLOCK.y + BLOCK.h;
};

async function check(input: Buffer, region: EditedRegion, opts: { icc: boolean; deep: boolean }) {
  const out = Buffer.from(await encodeEdited(input, region, 'png', 100));
  const [mi, mo] = await Promise.all([sharp(input).metadata(), sharp(out).metadata()]);
  if (opts.icc) expect(mo.icc?.equals(mi.icc!)).toBe(true);
  expect(mo.depth).toBe(opts.deep ? 'ushort' : 'uchar');
  const [si, so] = await Promise.all([stored(input), stored(out)]);
  const outside: number[] = [];
  for (let p = 0; p < W * H; p++) if (!inBlock(p) && [0, 1, 2].some((c) => so.data[p * 3 + c] !== si.data[p * 3 + c])) outside.push(p);
  expect(outside).toEqual([]);
  // Changed pixels, seen through the file's profile as sRGB again, are the page's colours.
  const back = toRgba8((await decodeImage(out)).pixels);
  let worst = 0;
  for (let r = 0; r < BLOCK.h; r++) {
    for (let c = 0; c < BLOCK.w; c++) {
      const p = (BLOCK.y + r) * W + BLOCK.x + c;
      const j = ((r + 8) * region.image.width + c + 8) * 4;
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(back[p * 4 + k]! - region.image.data[j + k]!));
    }
  }
  expect(worst, JSON.stringify(opts)).toBeLessThanOrEqual(opts.deep ? 1 : 2);
  return { out, worst };
}

describe('encodeEdited: the editor Save into the file as opened', () => {
  it('Display-P3 PNG: profile kept, unchanged pixels stored values, changed ones converted from sRGB into P3 (flags from the page or compared here)', async () => {
    const input = await sharp(PHOTO).withIccProfile('p3').png().toBuffer();
    for (const flags of [true, false]) await check(input, await edited(input, flags), { icc: true, deep: false });
    // Written as they are, the sRGB numbers would be off by far more than rounding in P3.
    const region = await edited(input, true);
    const raw = Buffer.from(await encodeEdited(input, region, 'png', 100));
    expect((await stored(raw)).data[(BLOCK.y * W + BLOCK.x) * 3]).not.toBe(region.image.data[(8 * region.image.width + 8) * 4]);
  });

  it('Adobe-RGB-like JPEG: saved as PNG, profile kept, unchanged pixels stored values, changed ones converted', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'a.icc'), adobeRgbLikeProfile());
      const input = await sharp(PHOTO).withIccProfile(join(tmp.dir, 'a.icc')).jpeg({ quality: 95 }).toBuffer();
      await check(input, await edited(input, true), { icc: true, deep: false });
    } finally {
      tmp.cleanup();
    }
  });

  it('16-bit TIFF and 16-bit P3 PNG: kept at 16 bits, low bytes of unchanged pixels kept', async () => {
    const { data } = await sharp(PHOTO).raw().toBuffer({ resolveWithObject: true });
    const deep = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) deep[i] = data[i]! * 257 - (i % 97);
    const raw = () => sharp(deep, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16');
    const tiff = await raw().tiff({ compression: 'lzw' }).toBuffer();
    expect((await sharp(tiff).metadata()).depth).toBe('ushort');
    expect(Array.from((await stored(tiff)).data.subarray(0, 3000)).filter((v) => v % 257 !== 0).length).toBeGreaterThan(2000); // low bytes 8 bits cannot hold
    expect((await decodeImage(tiff)).bits).toBe(16);
    await check(tiff, await edited(tiff, false), { icc: false, deep: true });
    const p3 = await raw().withIccProfile('p3').png().toBuffer();
    await check(p3, await edited(p3, false), { icc: true, deep: true });
  });

  it('refuses changed flags that do not match the region', async () => {
    const input = await sharp(PHOTO).png().toBuffer();
    const region = await edited(input, true);
    await expect(encodeEdited(input, { ...region, changed: new Uint8Array(3) }, 'png', 100)).rejects.toThrow(/changed flags hold 3 pixels, not 40x32/);
  });
});
