/**
 * `vqddm inpaint` writes the photo back as the file it was (issue 8): the ICC profile and EXIF carried
 * (orientation reset to 1), 16 bits kept, alpha kept, and every unmasked pixel the value it was stored as,
 * in the file's own colour space (not converted to sRGB and back): a Display-P3 PNG, a 16-bit PNG, an
 * Adobe-RGB-like JPEG with EXIF and an RGBA PNG. And `--out` refuses an existing file unless --overwrite;
 * temporaries a killed write left beside the output go at the next run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaskImage } from '../../electron/shared/contract.js';
import { decodeImage } from '../../electron/engine/image/codec.js';
import { adobeRgbLikeProfile } from './icc.js';
import { PHOTO, rectMask, ROOT, storedValues, tempDir, TINY_PACK, type StoredValues } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const W = 256, H = 192;
const MASK = rectMask(W, H, 90, 60, 40, 30);
let maskPath: string;

function vqddm(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), ...args], { encoding: 'utf8' });
}

function inpaint(image: string, out: string, ...extra: string[]) {
  const r = vqddm('inpaint', '--image', image, '--mask', maskPath, '--out', out, '--steps', '2', '--pack', TINY_PACK, ...extra);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** `asSrgb` below is built by hand, without a depth. */
type Stored = Omit<StoredValues, 'deep'>;
const stored = (path: string) => storedValues(path, { alpha: true });

/** Channel values that differ outside (or inside) the mask; `mad`: their mean absolute difference. */
function compare(a: Stored, b: Stored, mask: MaskImage, inside = false): { changed: number; mad: number } {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let changed = 0, sum = 0, n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if ((mask.data[i]! >= 128) !== inside) continue;
    for (let c = 0; c < a.channels; c++) {
      const d = Math.abs(a.data[i * a.channels + c]! - b.data[i * b.channels + c]!);
      if (d) changed++;
      sum += d;
      n++;
    }
  }
  return { changed, mad: sum / n };
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-node.mjs')], { cwd: ROOT });
  maskPath = join(tmp.dir, 'mask.png');
  await sharp(Buffer.from(MASK.data), { raw: { width: W, height: H, channels: 1 } }).png().toFile(maskPath);
});

describe('vqddm inpaint keeps the file what it was', () => {
  it('Display-P3 PNG: the profile carried, every unmasked stored value identical (not converted to sRGB and back)', async () => {
    const input = join(tmp.dir, 'p3.png');
    const out = join(tmp.dir, 'p3.out.png');
    await sharp(PHOTO).withIccProfile('p3').png().toFile(input);
    inpaint(input, out);
    const [mi, mo] = await Promise.all([sharp(input).metadata(), sharp(out).metadata()]);
    expect(mi.icc!.toString('latin1', 16, 20)).toBe('RGB ');
    expect(mo.icc?.equals(mi.icc!)).toBe(true);
    const [si, so] = await Promise.all([stored(input), stored(out)]);
    expect(compare(so, si, MASK).changed).toBe(0);
    expect(compare(so, si, MASK, true).changed).toBeGreaterThan(1000); // the hole was repainted
    // The check means something: the P3 values are not what an sRGB conversion gives.
    const srgb = (await decodeImage(readFileSync(input))).pixels;
    const asSrgb: Stored = { width: srgb.width, height: srgb.height, channels: 4, data: srgb.data };
    const si4: Stored = { ...si, channels: 4, data: (await decodeImage(readFileSync(input), 'p3', undefined, { ownColourSpace: true })).pixels.data };
    expect(compare(si4, asSrgb, MASK).changed).toBeGreaterThan(0.3 * 3 * (W * H - 1200));
  });

  it('vqddm batch writes with the same code: a Display-P3 PNG keeps its profile and unmasked values', async () => {
    const images = join(tmp.dir, 'batch-in');
    const masks = join(tmp.dir, 'batch-masks');
    const out = join(tmp.dir, 'batch-out');
    mkdirSync(images);
    mkdirSync(masks);
    mkdirSync(out);
    await sharp(PHOTO).withIccProfile('p3').png().toFile(join(images, 'p.png'));
    copyFileSync(maskPath, join(masks, 'p.png'));
    const r = vqddm('batch', '--images', images, '--masks', masks, '--out', out, '--methods', 'vqddm', '--pack', TINY_PACK, '--steps', '2');
    expect(r.status, r.stderr).toBe(0);
    const result = join(out, 'p.vqddm.png');
    expect((await sharp(result).metadata()).icc?.equals((await sharp(join(images, 'p.png')).metadata()).icc!)).toBe(true);
    const [si, so] = await Promise.all([stored(join(images, 'p.png')), stored(result)]);
    expect(compare(so, si, MASK).changed).toBe(0);
  });

  it('16-bit PNG (Display P3): stays 16-bit, the low bytes of every unmasked value kept', async () => {
    const input = join(tmp.dir, 'deep.png');
    const out = join(tmp.dir, 'deep.out.png');
    const { data } = await sharp(PHOTO).raw().toBuffer({ resolveWithObject: true });
    const deep = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) deep[i] = data[i]! * 257 - (i % 97); // low bytes 8 bits cannot hold
    await sharp(deep, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').withIccProfile('p3').png().toFile(input);
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    inpaint(input, out);
    const mo = await sharp(out).metadata();
    expect(mo.depth).toBe('ushort');
    expect(mo.icc?.equals((await sharp(input).metadata()).icc!)).toBe(true);
    const [si, so] = await Promise.all([stored(input), stored(out)]);
    expect(compare(so, si, MASK).changed).toBe(0);
    expect(compare(so, si, MASK, true).changed).toBeGreaterThan(1000);
  });

  it('Adobe-RGB-like JPEG with EXIF (orientation 6): profile and EXIF carried, orientation reset to 1; PNG out identical outside the mask, JPEG out within its own noise', async () => {
    const icc = join(tmp.dir, 'adobe.icc');
    writeFileSync(icc, adobeRgbLikeProfile());
    const input = join(tmp.dir, 'adobe.jpg');
    await sharp(PHOTO).rotate(270).withMetadata({ orientation: 6 }).withExifMerge({ IFD0: { Make: 'TestCam', Artist: 'Someone' } }).withIccProfile(icc).jpeg({ quality: 95 }).toFile(input);
    const mi = await sharp(input).metadata();
    expect([mi.orientation, mi.width, mi.height]).toEqual([6, H, W]);
    const si = await stored(input);
    for (const ext of ['png', 'jpg']) {
      const out = join(tmp.dir, `adobe.out.${ext}`);
      inpaint(input, out, '--quality', '95');
      const mo = await sharp(out).metadata();
      expect(mo.icc?.equals(mi.icc!), ext).toBe(true);
      expect(mo.exif?.toString('latin1'), ext).toContain('TestCam');
      expect(mo.exif?.toString('latin1'), ext).toContain('Someone');
      expect(mo.orientation ?? 1, ext).toBe(1);
      expect([mo.width, mo.height], ext).toEqual([W, H]);
      const so = await stored(out);
      if (ext === 'png') expect(compare(so, si, MASK).changed).toBe(0);
      else {
        // Lossy, but no colour shift: far closer than the same pixels converted to sRGB.
        const srgb = (await decodeImage(readFileSync(input))).pixels;
        const shift = compare({ width: W, height: H, channels: 4, data: srgb.data }, { ...si, channels: 4, data: (await decodeImage(readFileSync(input), 'a', undefined, { ownColourSpace: true })).pixels.data }, MASK).mad;
        const noise = compare(so, si, MASK).mad;
        expect(noise).toBeLessThan(2);
        expect(noise).toBeLessThan(shift / 2);
      }
    }
  });

  it('RGBA PNG: alpha kept, all four channels of every unmasked pixel identical', async () => {
    const input = join(tmp.dir, 'rgba.png');
    const out = join(tmp.dir, 'rgba.out.png');
    const { data } = await sharp(PHOTO).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < W * H; i++) data[i * 4 + 3] = 40 + ((i % W) * 215) / W; // a ramp of translucency
    await sharp(data, { raw: { width: W, height: H, channels: 4 } }).png().toFile(input);
    inpaint(input, out);
    expect((await sharp(out).metadata()).hasAlpha).toBe(true);
    const [si, so] = await Promise.all([stored(input), stored(out)]);
    expect(si.channels).toBe(4);
    expect(compare(so, si, MASK).changed).toBe(0);
    expect(compare(so, si, MASK, true).changed).toBeGreaterThan(1000);
  });
});

describe('vqddm inpaint --out', () => {
  it('refuses an existing file unless --overwrite (exit 2, the file untouched)', () => {
    const out = join(tmp.dir, 'exists.png');
    writeFileSync(out, 'precious');
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--steps', '2', '--pack', TINY_PACK);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`vqddm: error: --out: ${out} exists; choose another name or pass --overwrite to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const j = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--steps', '2', '--pack', TINY_PACK, '--json');
    expect(JSON.parse(j.stdout)).toEqual({ error: { code: 'BAD_SETTINGS', message: `--out: ${out} exists; choose another name or pass --overwrite to replace it` } });
    inpaint(PHOTO, out, '--overwrite');
    expect(readFileSync(out).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('removes the temporaries a killed write of the same output left, and nothing else', () => {
    const dir = tempDir();
    try {
      const out = join(dir.dir, 't.png');
      const names = ['.t.png.deadbeef.tmp', '.t.png.0123abcd.tmp', '.other.png.deadbeef.tmp', '.t.png.notatemp', 't.png.deadbeef.tmp'];
      for (const n of names) writeFileSync(join(dir.dir, n), 'half a file');
      inpaint(PHOTO, out);
      expect(readdirSync(dir.dir).sort()).toEqual(['.other.png.deadbeef.tmp', '.t.png.notatemp', 't.png', 't.png.deadbeef.tmp']);
    } finally {
      dir.cleanup();
    }
  });
});
