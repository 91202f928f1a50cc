import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { declaredSize, embeddedProfile, jpegFrame, pageDecodable } from '../../renderer/lib/imageKind.js';

const photo = () => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 90, b: 20 } } });

describe('which files the page decodes itself', () => {
  it('takes 8-bit JPEG, PNG, WebP and GIF, EXIF-rotated and ICC-tagged ones too', async () => {
    const files = [
      await photo().jpeg().toBuffer(),
      await photo().jpeg({ progressive: true }).withMetadata({ orientation: 6 }).toBuffer(),
      await photo().toColourspace('b-w').jpeg().toBuffer(),
      await photo().withIccProfile('p3').jpeg().toBuffer(),
      await photo().png().toBuffer(),
      await photo().ensureAlpha(0.5).png().toBuffer(),
      await photo().webp().toBuffer(),
      await photo().webp({ lossless: true }).toBuffer(),
      await photo().gif().toBuffer(),
    ];
    for (const f of files) expect(pageDecodable(new Uint8Array(f))).toBe(true);
    expect(jpegFrame(new Uint8Array(files[2]!))?.components).toBe(1);
    expect(jpegFrame(new Uint8Array(files[1]!))?.components).toBe(3);
    // The size as stored (EXIF rotation comes later), read from the header of every kind.
    for (const f of files) expect(declaredSize(new Uint8Array(f))).toEqual({ width: 40, height: 30 });
  });

  it('leaves CMYK JPEG, 16-bit PNG, AVIF, TIFF and non-images to the engine', async () => {
    const cmyk = await photo().toColourspace('cmyk').jpeg().toBuffer();
    expect(jpegFrame(new Uint8Array(cmyk))?.components).toBe(4);
    const files = [cmyk, await photo().toColourspace('rgb16').png().toBuffer(), await photo().avif().toBuffer(), await photo().tiff().toBuffer(), Buffer.from('this is not a PNG, not at all')];
    for (const f of files) expect(pageDecodable(new Uint8Array(f))).toBe(false);
    expect(pageDecodable(new Uint8Array([0xff, 0xd8]))).toBe(false);
  });
});

describe('declared size', () => {
  it('reads large sizes from headers without decoding (PNG, JPEG, WebP lossy and lossless, GIF)', async () => {
    const big = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#808080' } });
    expect(declaredSize(new Uint8Array(await big(9000, 5000).png({ compressionLevel: 1 }).toBuffer()))).toEqual({ width: 9000, height: 5000 });
    expect(declaredSize(new Uint8Array(await big(9000, 5000).jpeg().toBuffer()))).toEqual({ width: 9000, height: 5000 });
    expect(declaredSize(new Uint8Array(await big(9000, 5000).webp().toBuffer()))).toEqual({ width: 9000, height: 5000 });
    expect(declaredSize(new Uint8Array(await big(9000, 5000).webp({ lossless: true }).toBuffer()))).toEqual({ width: 9000, height: 5000 });
    expect(declaredSize(new Uint8Array(await big(3000, 2000).gif().toBuffer()))).toEqual({ width: 3000, height: 2000 });
    // A PNG header claiming 60000x60000 (a decompression bomb) is read as such, so the page leaves it alone.
    const png = new Uint8Array(await big(64, 64).png().toBuffer());
    new DataView(png.buffer, png.byteOffset).setUint32(16, 60000);
    new DataView(png.buffer, png.byteOffset).setUint32(20, 60000);
    expect(declaredSize(png)).toEqual({ width: 60000, height: 60000 });
  });
});

describe('embedded colour profile (Save then writes through the engine, in the file\'s own space)', () => {
  it('finds a profile in PNG, JPEG and WebP, and none where there is none', async () => {
    for (const f of ['png', 'jpeg', 'webp'] as const) {
      expect(embeddedProfile(new Uint8Array(await photo().withIccProfile('p3').toFormat(f).toBuffer())), f).toBe(true);
      expect(embeddedProfile(new Uint8Array(await photo().toFormat(f).toBuffer())), f).toBe(false);
    }
    expect(embeddedProfile(new Uint8Array(await photo().withIccProfile('p3').jpeg().withMetadata({ orientation: 6 }).toBuffer()))).toBe(true);
    expect(embeddedProfile(new Uint8Array(await photo().gif().toBuffer()))).toBe(false);
  });
});
