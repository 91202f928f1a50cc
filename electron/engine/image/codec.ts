/**
 * Image files to pixels and back, with sharp (libvips). The header is read first, so an image over the
 * pixel limit (a decompression bomb) is refused before any pixel is decoded.
 */
import sharp, { type Metadata } from 'sharp';
import { ApiError, type ImageFormat, type MaskImage } from '../../shared/contract.js';
import type { Pixels } from './pixels.js';

/** Largest image accepted, in pixels (100 MP: RGBA at 8 bits is 400 MB in memory). */
export const MAX_PIXELS = 100_000_000;
/** Smallest side accepted, in pixels. */
export const MIN_SIDE = 16;

export interface DecodedImage {
  pixels: Pixels;
  /** The file had an alpha channel (kept when writing back). */
  hasAlpha: boolean;
  /** The file's format as sharp names it (jpeg, png, webp, ...). */
  format: string;
  /** Bits per channel the file stores: 8, or 10, 12, 16 (decoded to 16-bit pixels). */
  bits: number;
}

/**
 * Vector formats are refused, not rasterised: an SVG can ask for any size and nest references without
 * end (the SVG bomb took 17 s), and a photo editor has no use for them. Sniffed from the first
 * bytes, so librsvg or poppler never sees the file.
 */
function vectorKind(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).toString('latin1').replace(/^\ufeff|^\xef\xbb\xbf/, '').trimStart();
  if (head.startsWith('%PDF')) return 'a PDF document';
  if (/^<(\?xml|svg|!DOCTYPE svg|!--)/i.test(head) && /<svg[\s>]/i.test(head)) return 'an SVG image';
  return null;
}

const VECTOR_FORMATS: Record<string, string> = { svg: 'an SVG image', pdf: 'a PDF document' };

async function header(bytes: Uint8Array, what: string, maxPixels: number): Promise<Metadata> {
  if (bytes.length === 0) throw new ApiError('BAD_IMAGE', `${what} is empty (0 bytes)`);
  const unsupported = (kind: string) => new ApiError('BAD_IMAGE', `${what} is ${kind}: vector images are unsupported (export it as PNG, JPEG or WebP first)`);
  const vector = vectorKind(bytes);
  if (vector) throw unsupported(vector);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ApiError('BAD_IMAGE', `${what} is not a readable image (expected PNG, JPEG, WebP, TIFF, AVIF or GIF)`);
  }
  if (meta.format && VECTOR_FORMATS[meta.format]) throw unsupported(VECTOR_FORMATS[meta.format]!);
  const { width = 0, height = 0 } = meta;
  if (width * height > maxPixels) {
    throw new ApiError('IMAGE_TOO_LARGE', `${what} is ${width}x${height} = ${(width * height / 1e6).toFixed(1)} MP, above the limit of ${maxPixels / 1e6} MP`);
  }
  if (Math.min(width, height) < MIN_SIDE) {
    throw new ApiError('BAD_IMAGE', `${what} is ${width}x${height}; images must be at least ${MIN_SIDE}x${MIN_SIDE} pixels`);
  }
  return meta;
}

function decodeFailure(what: string, err: unknown): ApiError {
  const detail = (err as Error).message ?? String(err);
  return new ApiError('BAD_IMAGE', `${what} could not be decoded (truncated or corrupt file: ${detail.split('\n')[0]})`);
}

export interface DecodeOptions {
  /**
   * Keep the stored values of a file tagged with an RGB ICC profile (Display P3, Adobe RGB...) instead of
   * converting them to sRGB: the pixels are in the file's own colour space, to be written back with the
   * same profile attached (engine/io/imageOutput.ts), so unmasked pixels keep their exact values. Files
   * with other profiles (CMYK, grey) are converted as usual.
   */
  ownColourSpace?: boolean;
}

/** Decodes an image file to RGBA at its own bit depth (8 or 16), EXIF orientation applied. */
export async function decodeImage(bytes: Uint8Array, what = 'the file', maxPixels = MAX_PIXELS, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const meta = await header(bytes, what, maxPixels);
  const deep = meta.depth === 'ushort';
  const rgbProfile = meta.icc !== undefined && meta.icc.toString('latin1', 16, 20) === 'RGB ';
  const ignoreIcc = opts.ownColourSpace === true && rgbProfile;
  try {
    let img = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', autoOrient: true, ignoreIcc }).toColourspace(deep ? 'rgb16' : 'srgb');
    // libvips converts a tagged 16-bit RGB file to Display P3, not sRGB (sharp's processing profile for
    // 16-bit): the conversion on to sRGB is asked for here, or the page would show P3 numbers as sRGB.
    if (deep && rgbProfile && !ignoreIcc) img = img.withIccProfile('srgb', { attach: false });
    const { data, info } = await img
      .ensureAlpha()
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const pixels: Pixels = deep
      ? { width: info.width, height: info.height, data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2).slice() }
      : { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    const bits = deep ? (meta.bitsPerSample && meta.bitsPerSample > 8 ? meta.bitsPerSample : 16) : 8;
    return { pixels, hasAlpha: meta.hasAlpha === true, format: meta.format ?? 'unknown', bits };
  } catch (err) {
    throw decodeFailure(what, err);
  }
}

/**
 * Decodes a mask file: a pixel is to be filled where its luminance (times its alpha, if any) is >= 128.
 * A mask of another size than the image is an error unless `resize` (nearest-neighbour) is asked for.
 */
export async function decodeMask(bytes: Uint8Array, width: number, height: number, resize = false): Promise<MaskImage> {
  const meta = await header(bytes, 'the mask', MAX_PIXELS);
  let pipeline = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated', autoOrient: true });
  const oriented = (meta.orientation ?? 1) >= 5 ? { w: meta.height ?? 0, h: meta.width ?? 0 } : { w: meta.width ?? 0, h: meta.height ?? 0 };
  if (oriented.w !== width || oriented.h !== height) {
    if (!resize) throw new ApiError('MASK_SIZE_MISMATCH', `the mask is ${oriented.w}x${oriented.h} but the image is ${width}x${height} (pass --resize-mask to scale it)`);
    pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'nearest' });
  }
  try {
    const { data } = await pipeline.toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) {
      const lum = (data[i * 4] * 299 + data[i * 4 + 1] * 587 + data[i * 4 + 2] * 114) / 1000;
      mask[i] = Math.round((lum * data[i * 4 + 3]) / 255);
    }
    return { width, height, data: mask };
  } catch (err) {
    throw decodeFailure('the mask', err);
  }
}

export function formatFromPath(path: string): ImageFormat | null {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') return 'png';
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'webp') return 'webp';
  return null;
}

/**
 * Encodes pixels to a file. PNG keeps 16-bit depth and alpha (lossless: unmasked pixels stay identical);
 * WebP at quality 100 is lossless; JPEG has no alpha.
 */
export async function encodeImage(pixels: Pixels, format: ImageFormat, quality = 92, keepAlpha = true): Promise<Buffer> {
  const deep = pixels.data instanceof Uint16Array;
  let img = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } });
  if (!keepAlpha || format === 'jpeg') img = img.removeAlpha();
  if (format === 'png') return (deep ? img.toColourspace('rgb16') : img).png({ compressionLevel: 6 }).toBuffer();
  if (deep) img = img.toColourspace('srgb');
  if (format === 'jpeg') return img.jpeg({ quality, mozjpeg: true }).toBuffer();
  return img.webp(quality >= 100 ? { lossless: true } : { quality }).toBuffer();
}
