import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeMask, encodeImage } from '../../electron/engine/image/codec.js';
import { PHOTO } from './helpers.js';

/** A valid PNG header claiming width x height, with one empty data chunk: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(0))), chunk('IEND', Buffer.alloc(0))]);
}

const solid = (w: number, h: number, channels: 3 | 4, bg: Record<string, number>) => sharp({ create: { width: w, height: h, channels, background: bg } });

describe('image decoding', () => {
  it('decodes the JPEG fixture to 8-bit RGBA', async () => {
    const { pixels, hasAlpha, format } = await decodeImage(readFileSync(PHOTO));
    expect([pixels.width, pixels.height, format, hasAlpha]).toEqual([256, 192, 'jpeg', false]);
    expect(pixels.data).toBeInstanceOf(Uint8Array);
    expect(pixels.data.length).toBe(256 * 192 * 4);
  });

  it('keeps 16-bit PNGs at 16 bits', async () => {
    const png = await solid(20, 20, 3, { r: 10, g: 20, b: 30 }).toColourspace('rgb16').png().toBuffer();
    const { pixels } = await decodeImage(png);
    expect(pixels.data).toBeInstanceOf(Uint16Array);
    expect(pixels.data[0]).toBe(10 * 256); // libvips widens 8-bit values by 256
  });

  it('decodes grey, RGBA and WebP images', async () => {
    const grey = await decodeImage(await solid(20, 20, 3, { r: 90, g: 90, b: 90 }).greyscale().png().toBuffer());
    expect(Array.from(grey.pixels.data.subarray(0, 4))).toEqual([90, 90, 90, 255]);
    const rgba = await decodeImage(await solid(20, 20, 4, { r: 1, g: 2, b: 3, alpha: 0.5 }).png().toBuffer());
    expect(rgba.hasAlpha).toBe(true);
    expect(rgba.pixels.data[3]).toBe(128);
    const webp = await decodeImage(await solid(20, 20, 3, { r: 200, g: 0, b: 0 }).webp({ lossless: true }).toBuffer());
    expect(webp.format).toBe('webp');
    expect(webp.pixels.data[0]).toBe(200);
  });

  it('applies EXIF orientation', async () => {
    const jpeg = await solid(40, 20, 3, { r: 0, g: 0, b: 0 }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { pixels } = await decodeImage(jpeg);
    expect([pixels.width, pixels.height]).toEqual([20, 40]);
  });

  it('names bad input: not an image, empty, truncated, tiny, too large', async () => {
    await expect(decodeImage(Buffer.from('hello, not a picture'))).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/the file is not a readable image/) });
    await expect(decodeImage(Buffer.alloc(0))).rejects.toThrow(/empty/);
    const photo = readFileSync(PHOTO);
    await expect(decodeImage(photo.subarray(0, photo.length / 2))).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/truncated or corrupt/) });
    await expect(decodeImage(await solid(1, 1, 3, { r: 0, g: 0, b: 0 }).png().toBuffer())).rejects.toThrow(/is 1x1; images must be at least 16x16/);
    await expect(decodeImage(pngClaiming(60000, 60000))).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringMatching(/60000x60000 = 3600\.0 MP, above the limit of 100 MP/) });
  });

  it('reads masks by luminance and alpha, and checks their size', async () => {
    const white = await solid(20, 20, 3, { r: 255, g: 255, b: 255 }).png().toBuffer();
    const mask = await decodeMask(white, 20, 20);
    expect(mask.data.every((v) => v === 255)).toBe(true);
    const transparent = await solid(20, 20, 4, { r: 255, g: 255, b: 255, alpha: 0 }).png().toBuffer();
    expect((await decodeMask(transparent, 20, 20)).data.every((v) => v === 0)).toBe(true);
    await expect(decodeMask(white, 30, 20)).rejects.toMatchObject({ code: 'MASK_SIZE_MISMATCH', message: expect.stringMatching(/mask is 20x20 but the image is 30x20/) });
    expect((await decodeMask(white, 30, 20, true)).data.length).toBe(600);
  });

  it('round-trips PNG losslessly, 8 and 16 bits', async () => {
    const eight = { width: 16, height: 16, data: Uint8Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 37) % 256) };
    const back = await decodeImage(await encodeImage(eight, 'png'));
    expect(Buffer.from(back.pixels.data)).toEqual(Buffer.from(eight.data));
    const deep = { width: 16, height: 16, data: Uint16Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 4099) % 65536) };
    const back16 = await decodeImage(await encodeImage(deep, 'png'));
    expect(Array.from(back16.pixels.data)).toEqual(Array.from(deep.data));
  });
});
