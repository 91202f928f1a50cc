/**
 * The editor's Save keeps the file what it was (issue 8), proven from outside: photos opened in Chromium
 * (serve mode), filled and applied, saved, and the downloaded file read back. A Display-P3 PNG and an
 * Adobe-RGB-like JPEG with EXIF (the page shows them converted to sRGB) keep their profile, and every
 * pixel outside the painted mask keeps the value the file stores, in the file's own colour space; a
 * 16-bit TIFF (decoded by the engine) is saved as a 16-bit PNG, unmasked values identical, and saving it
 * as JPEG asks first. A plain sRGB JPEG whose EXIF turns it (orientation 6) and a PNG with an eXIf chunk
 * (orientation 3), both decoded by the page, keep their EXIF, saved upright with orientation 1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { insertPngChunks, pngChunk } from '../../electron/engine/io/imageOutput.js';
import { adobeRgbLikeProfile } from '../engine/icc.js';
import { storedValues, type StoredValues } from '../engine/helpers.js';
import { EditorPage } from './editorPage.js';
import { ARTIFACTS, FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

type Stored = Pick<StoredValues, 'width' | 'height' | 'data'>;
const stored = (file: Buffer) => storedValues(file);

/** Pixels whose stored RGB differs, outside the mask and inside it; `mad`: mean absolute difference outside. */
function compare(a: Stored, b: Stored, mask: Uint8Array): { outside: number; inside: number; masked: number; mad: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let outside = 0, inside = 0, masked = 0, sum = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d += Math.abs(a.data[p * 3 + c]! - b.data[p * 3 + c]!);
    if (mask[p]! >= 128) {
      masked++;
      if (d) inside++;
    } else {
      sum += d / 3;
      if (d) outside++;
    }
  }
  return { outside, inside, masked, mad: sum / (a.width * a.height - masked) };
}

/** A saved fill against its input: a real hole (over 300 masked pixels), nothing changed outside it, most of it filled. */
function expectFilledOnlyInMask(c: ReturnType<typeof compare>): void {
  expect(c.masked).toBeGreaterThan(300);
  expect(c.outside).toBe(0);
  expect(c.inside).toBeGreaterThan(c.masked / 2);
}

/** `jpeg` without its APP2 ICC_PROFILE segments (sharp's withMetadata, which sets the orientation, also attaches sRGB's). */
function withoutIcc(jpeg: Buffer): Buffer {
  const parts = [jpeg.subarray(0, 2)];
  let o = 2;
  for (; jpeg[o] === 0xff && jpeg[o + 1] !== 0xda; o += 2 + jpeg.readUInt16BE(o + 2)) {
    if (jpeg[o + 1] !== 0xe2 || jpeg.toString('latin1', o + 4, o + 16) !== 'ICC_PROFILE\0') parts.push(jpeg.subarray(o, o + 2 + jpeg.readUInt16BE(o + 2)));
  }
  return Buffer.concat([...parts, jpeg.subarray(o)]);
}

describe.skipIf(skipWithoutChromium())('Save keeps the colour profile and depth of the file as opened (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();
  let context: BrowserContext | undefined;
  afterEach(async () => context?.close());

  /** Opens `file`, paints a stroke, fills with VQ-DDM and applies it; returns the painted mask (oriented as shown). */
  async function openAndFill(name: string, mimeType: string, buffer: Buffer): Promise<{ ed: EditorPage; page: Page; mask: Uint8Array }> {
    context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    await ed.open({ name, mimeType, buffer });
    await expect.poll(() => ed.page.title()).toContain(name);
    const page = ed.page;
    await page.getByRole('checkbox', { name: 'Transformer', exact: true }).uncheck();
    await page.getByRole('radio', { name: 'Brush' }).click();
    await ed.setSize(16);
    await ed.brush([[0.3, 0.4], [0.6, 0.55]]);
    const mask = await sharp(await ed.download(() => ed.saveMenu('Export mask'), `${name}-mask.png`)).greyscale().raw().toBuffer();
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-vqddm').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await page.getByLabel('Compare results').waitFor({ state: 'detached' });
    return { ed, page, mask: new Uint8Array(mask) };
  }

  it('a Display-P3 PNG keeps its profile; unmasked pixels keep their stored P3 values, masked ones are filled', async () => {
    const input = await sharp(FIXTURE).resize(256, 192).withIccProfile('p3').png().toBuffer();
    const { ed, page, mask } = await openAndFill('p3.png', 'image/png', input);
    const saved = await ed.download(() => ed.saveMenu('Save image'), 'p3-filled.png');
    await expect.poll(() => page.getByText(/Saved p3-filled\.png, its colour profile kept/).count()).toBe(1);
    const [mi, mo] = await Promise.all([sharp(input).metadata(), sharp(saved).metadata()]);
    expect(mo.format).toBe('png');
    expect(mo.icc?.equals(mi.icc!)).toBe(true);
    expectFilledOnlyInMask(compare(await stored(saved), await stored(input), mask));
  });

  it('an Adobe-RGB-like JPEG with EXIF: as PNG, profile and EXIF kept and unmasked pixels identical; as JPEG, profile and EXIF kept, no colour shift', async () => {
    const icc = join(ARTIFACTS, 'adobe-like.icc');
    writeFileSync(icc, adobeRgbLikeProfile());
    const input = await sharp(FIXTURE).resize(256, 192).withExifMerge({ IFD0: { Make: 'TestCam', Artist: 'Someone' } }).withIccProfile(icc).jpeg({ quality: 95 }).toBuffer();
    const mi = await sharp(input).metadata();
    const { ed, page, mask } = await openAndFill('adobe.jpg', 'image/jpeg', input);
    const si = await stored(input);

    await ed.pickFormat('png');
    const png = await ed.download(() => ed.saveMenu('Save image'), 'adobe-filled.png');
    const mp = await sharp(png).metadata();
    expect(mp.format).toBe('png');
    expect(mp.icc?.equals(mi.icc!)).toBe(true);
    expect(mp.exif?.toString('latin1')).toContain('TestCam');
    expectFilledOnlyInMask(compare(await stored(png), si, mask));

    await ed.pickFormat('jpeg');
    const jpeg = await ed.download(() => ed.saveMenu('Save image'), 'adobe-filled.jpg');
    const mj = await sharp(jpeg).metadata();
    expect(mj.format).toBe('jpeg');
    expect(mj.icc?.equals(mi.icc!)).toBe(true);
    expect(mj.exif?.toString('latin1')).toContain('Someone');
    // Lossy, but in the file's own space: far closer to its stored values than the sRGB conversion is.
    const { data: srgb } = await sharp(input).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const shift = compare({ width: si.width, height: si.height, data: new Uint8Array(srgb) }, si, mask).mad;
    const noise = compare(await stored(jpeg), si, mask).mad;
    expect(shift).toBeGreaterThan(2);
    expect(noise).toBeLessThan(shift / 2);
    await expect.poll(() => page.getByText(/Saved adobe-filled\.jpg, its colour profile kept/).count()).toBe(1);
  });

  it('a plain sRGB JPEG with EXIF orientation 6: saved upright with orientation 1, its EXIF kept, as JPEG and as PNG (unmasked pixels identical)', async () => {
    const input = withoutIcc(await sharp(FIXTURE).resize(256, 192).withExifMerge({ IFD0: { Make: 'TestCam', Artist: 'Someone' } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer());
    const mi = await sharp(input).metadata();
    expect([mi.width, mi.height, mi.orientation, mi.icc]).toEqual([256, 192, 6, undefined]);
    const { ed, page, mask } = await openAndFill('turned.jpg', 'image/jpeg', input);
    const si = await stored(input); // upright: 192x256
    expect([si.width, si.height]).toEqual([192, 256]);

    const jpeg = await ed.download(() => ed.saveMenu('Save image'), 'turned-filled.jpg');
    const mj = await sharp(jpeg).metadata();
    expect([mj.format, mj.width, mj.height, mj.orientation]).toEqual(['jpeg', 192, 256, 1]);
    expect(mj.exif?.toString('latin1')).toContain('TestCam');
    expect(mj.exif?.toString('latin1')).toContain('Someone');
    await expect.poll(() => page.getByText(/^Saved turned-filled\.jpg$/).count()).toBe(1);
    // Upright as shown: close to the input's oriented values outside the mask (another turn would be far off).
    expect(compare(await stored(jpeg), si, mask).mad).toBeLessThan(3);

    await ed.pickFormat('png');
    const png = await ed.download(() => ed.saveMenu('Save image'), 'turned-filled.png');
    const mp = await sharp(png).metadata();
    expect([mp.format, mp.width, mp.height, mp.orientation]).toEqual(['png', 192, 256, 1]);
    expect(mp.exif?.toString('latin1')).toContain('TestCam');
    expectFilledOnlyInMask(compare(await stored(png), si, mask));
  });

  it('a PNG with an eXIf chunk (orientation 3) keeps its EXIF, saved upright with orientation 1, unmasked pixels identical', async () => {
    const exif = (await sharp(FIXTURE).resize(8, 8).withExifMerge({ IFD0: { Make: 'TestCam', Artist: 'Someone' } }).withMetadata({ orientation: 3 }).jpeg().toBuffer().then((j) => sharp(j).metadata())).exif!;
    expect(exif.toString('latin1', 0, 6)).toBe('Exif\0\0');
    const input = insertPngChunks(await sharp(FIXTURE).resize(256, 192).png().toBuffer(), [pngChunk('eXIf', exif.subarray(6))]);
    expect((await sharp(input).metadata()).orientation).toBe(3);
    const { ed, page, mask } = await openAndFill('exif.png', 'image/png', input);

    const saved = await ed.download(() => ed.saveMenu('Save image'), 'exif-filled.png');
    const mo = await sharp(saved).metadata();
    expect([mo.format, mo.width, mo.height, mo.orientation]).toEqual(['png', 256, 192, 1]);
    expect(mo.exif?.toString('latin1')).toContain('Someone');
    await expect.poll(() => page.getByText(/^Saved exif-filled\.png$/).count()).toBe(1);
    // Turned half a turn as the page shows it: every unmasked pixel is the input's, oriented.
    expectFilledOnlyInMask(compare(await stored(saved), await stored(input), mask));
  });

  it('a 16-bit TIFF is offered as PNG and saved at 16 bits, unmasked values identical; as JPEG it asks first', async () => {
    const { data, info } = await sharp(FIXTURE).resize(256, 192).raw().toBuffer({ resolveWithObject: true });
    const deep = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) deep[i] = Math.max(0, data[i]! * 257 - (i % 97)); // low bytes 8 bits cannot hold
    const input = await sharp(deep, { raw: { width: info.width, height: info.height, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'lzw' }).toBuffer();
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    expect(Array.from((await stored(input)).data.subarray(0, 3000)).filter((v) => v % 257 !== 0).length).toBeGreaterThan(2000);
    const { ed, page, mask } = await openAndFill('deep.tif', 'image/tiff', input);

    // Offered as PNG (the format that holds 16 bits), with no question.
    const saved = await ed.download(() => ed.saveMenu('Save image'), 'deep-tif-filled.png');
    await expect.poll(() => page.getByText(/Saved deep-filled\.png \(16 bits per channel, as opened\)/).count()).toBe(1);
    expect((await sharp(saved).metadata()).depth).toBe('ushort');
    expectFilledOnlyInMask(compare(await stored(saved), await stored(input), mask));

    const asked = await ed.cancelEightBitJpeg();
    expect(asked.text).toMatch(/deep\.tif stores 16 bits per channel\. JPEG images hold 8 bits per channel/);
    expect(asked.downloads).toBe(0);
  });
});
