import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { jpegComponents, pageDecodable } from '../../renderer/lib/imageKind.js';

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
    expect(jpegComponents(new Uint8Array(files[2]!))).toBe(1);
    expect(jpegComponents(new Uint8Array(files[1]!))).toBe(3);
  });

  it('leaves CMYK JPEG, 16-bit PNG, AVIF, TIFF and non-images to the engine', async () => {
    const cmyk = await photo().toColourspace('cmyk').jpeg().toBuffer();
    expect(jpegComponents(new Uint8Array(cmyk))).toBe(4);
    const files = [cmyk, await photo().toColourspace('rgb16').png().toBuffer(), await photo().avif().toBuffer(), await photo().tiff().toBuffer(), Buffer.from('this is not a PNG, not at all')];
    for (const f of files) expect(pageDecodable(new Uint8Array(f))).toBe(false);
    expect(pageDecodable(new Uint8Array([0xff, 0xd8]))).toBe(false);
  });
});
