/**
 * An edited photo written back as the file it came from: its EXIF (orientation reset to 1: the pixels are
 * already turned; no thumbnail: it would show the old content), its RGB ICC profile, its depth (16 bits stay
 * 16 in PNG) and, for JPEG, its quality tables and chroma subsampling. Used by `vqddm inpaint` and
 * `vqddm batch`.
 *
 * Colours: the photo is decoded in its own colour space (`decodeImage(..., { ownColourSpace: true })`: the
 * stored values of an ICC-tagged file, not converted to sRGB), filled there, and written back with the same
 * profile attached, never converted: every unmasked pixel of a lossless output is the stored value it was
 * (a Display-P3 or Adobe RGB PNG keeps its exact numbers). The profile and EXIF travel as chunks of a
 * store-only PNG that libvips reads without colour management (`ignoreIcc`) and copies to the output.
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import type { ImageFormat } from '../../shared/contract.js';
import type { Pixels } from '../image/pixels.js';

export interface SourceMeta {
  /** sharp's name of the input's format (jpeg, png, webp, tiff, ...). */
  format: string;
  /** 16 bits per channel. */
  deep: boolean;
  /** The EXIF block (TIFF bytes, no "Exif" header), orientation reset, thumbnail unlinked; null if none. */
  exif: Buffer | null;
  /** An RGB ICC profile; null if none (or not RGB: CMYK and grey profiles do not fit RGB output). */
  icc: Buffer | null;
  /** Why metadata was not carried, for the record. */
  dropped: string[];
  /** JPEG: the quality its luminance table matches best (IJG scaling); null otherwise. */
  jpegQuality: number | null;
  chromaSubsampling: string | null;
  /** WebP: stored losslessly (VP8L). */
  webpLossless: boolean;
}

/** The IJG (libjpeg) base luminance quantisation table; its sum is what quality scales. */
const IJG_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37,
  56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

function ijgTableSum(quality: number): number {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  return IJG_LUMA.reduce((s, v) => s + Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))), 0);
}

/** The quality 1..100 whose IJG luminance table is closest to the file's first table; null if none is found. */
export function estimateJpegQuality(bytes: Uint8Array): number | null {
  let o = 2;
  while (o + 4 <= bytes.length && bytes[o] === 0xff) {
    const marker = bytes[o + 1];
    const len = (bytes[o + 2] << 8) | bytes[o + 3];
    if (marker === 0xda) break; // start of scan: no tables after it matter
    if (marker === 0xdb) {
      const pq = bytes[o + 4] >> 4; // precision: 0 = 8-bit entries, 1 = 16-bit
      let sum = 0;
      for (let i = 0; i < 64; i++) sum += pq ? (bytes[o + 5 + 2 * i] << 8) | bytes[o + 6 + 2 * i] : bytes[o + 5 + i];
      let best = 92;
      let err = Infinity;
      for (let q = 1; q <= 100; q++) {
        const e = Math.abs(ijgTableSum(q) - sum);
        if (e < err) [best, err] = [q, e];
      }
      return best;
    }
    o += 2 + len;
  }
  return null;
}

function isWebpLossless(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64 * 1024)).toString('latin1');
  return text.startsWith('RIFF') && text.slice(8, 12) === 'WEBP' && text.includes('VP8L') && !text.includes('VP8 ');
}

/**
 * An EXIF block ready to carry: IFD0's Orientation set to 1 (the decoded pixels are already upright) and
 * its link to IFD1 (the embedded thumbnail, which would show what was removed) cut. Null if unreadable.
 */
export function carryableExif(raw: Buffer): Buffer | null {
  const tiff = Buffer.from(raw.subarray(raw.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0));
  if (tiff.length < 8) return null;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  if (!le && tiff.toString('latin1', 0, 2) !== 'MM') return null;
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const ifd0 = le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  if (ifd0 + 2 > tiff.length) return null;
  const count = u16(ifd0);
  if (ifd0 + 2 + count * 12 + 4 > tiff.length) return null;
  for (let i = 0; i < count; i++) {
    const e = ifd0 + 2 + i * 12;
    if (u16(e) === 0x0112 && u16(e + 2) === 3) {
      if (le) tiff.writeUInt16LE(1, e + 8);
      else tiff.writeUInt16BE(1, e + 8);
    }
  }
  tiff.writeUInt32LE(0, ifd0 + 2 + count * 12); // no IFD1 (zero either way round)
  return tiff;
}

export async function readSourceMeta(bytes: Uint8Array): Promise<SourceMeta> {
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  const dropped: string[] = [];
  let icc: Buffer | null = null;
  if (meta.icc) {
    const space = meta.icc.toString('latin1', 16, 20);
    if (space === 'RGB ') icc = meta.icc;
    else dropped.push(`ICC profile (${space.trim()} profile; the result is RGB, tagged sRGB)`);
  }
  let exif: Buffer | null = null;
  if (meta.exif) {
    exif = carryableExif(meta.exif);
    if (!exif) dropped.push('EXIF (unreadable block)');
  }
  if (meta.xmp) dropped.push('XMP');
  if (meta.iptc) dropped.push('IPTC');
  return {
    format: meta.format ?? 'unknown',
    deep: meta.depth === 'ushort',
    exif,
    icc,
    dropped,
    jpegQuality: meta.format === 'jpeg' ? estimateJpegQuality(bytes) : null,
    chromaSubsampling: meta.format === 'jpeg' ? (meta.chromaSubsampling ?? null) : null,
    webpLossless: meta.format === 'webp' && isWebpLossless(bytes),
  };
}

/** JPEG: the input's estimated quality, WebP: lossless if the input was, else 92; --quality wins. */
export function outputQuality(asked: number | null, format: ImageFormat, source: SourceMeta): number {
  if (asked !== null) return asked;
  if (format === 'jpeg' && source.jpegQuality !== null) return source.jpegQuality;
  if (format === 'webp' && source.webpLossless) return 100;
  return 92;
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  data.copy(b, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

/** `chunks` inserted before the first IDAT of a PNG. */
export function insertPngChunks(png: Buffer, chunks: Buffer[]): Buffer {
  for (let o = 8; o + 8 <= png.length; o += 12 + png.readUInt32BE(o)) {
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') return Buffer.concat([png.subarray(0, o), ...chunks, png.subarray(o)]);
  }
  throw new Error('not a PNG: no IDAT chunk');
}

/** The tEXt chunk "vqddm" holding `text` (non-Latin-1 characters escaped: tEXt is Latin-1). */
export function textChunk(keyword: string, text: string): Buffer {
  const latin1 = text.replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return pngChunk('tEXt', Buffer.from(`${keyword}\0${latin1}`, 'latin1'));
}

function iccChunk(icc: Buffer): Buffer {
  // iCCP: profile name, NUL, compression method 0 (zlib), the compressed profile
  return pngChunk('iCCP', Buffer.concat([Buffer.from('ICC profile\0\0', 'latin1'), deflateSync(icc)]));
}

export interface EncodeOptions {
  format: ImageFormat;
  quality: number;
  keepAlpha: boolean;
  source: SourceMeta;
  /** JSON of what made the file (settings, seed, method, sample): EXIF UserComment and, in PNGs, tEXt "vqddm". */
  trace: string;
}

/**
 * Encodes a filled image whose pixels are in the source's own colour space (see the top of this file).
 * With EXIF to carry, libvips merges the UserComment into the photo's block rather than replacing it.
 */
export async function encodeResult(pixels: Pixels, o: EncodeOptions): Promise<Buffer> {
  const deep = pixels.data instanceof Uint16Array;
  const raw = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 }, limitInputPixels: false });
  const chunks: Buffer[] = [];
  if (o.source.icc) chunks.push(iccChunk(o.source.icc));
  if (o.source.exif) chunks.push(pngChunk('eXIf', o.source.exif));
  const store = insertPngChunks(await (deep ? raw.toColourspace('rgb16') : raw).png({ compressionLevel: 0 }).toBuffer(), chunks);
  const tags = { IFD0: { Software: 'VQ-DDM Studio' }, IFD2: { UserComment: o.trace } };
  // ignoreIcc: the values stay as they are; keepIccProfile: the profile is attached to the output as it is.
  let img: Sharp = sharp(store, { limitInputPixels: false, ignoreIcc: true });
  img = o.source.exif ? img.keepExif().withExifMerge(tags) : img.withExif(tags);
  if (o.source.icc) img = img.keepIccProfile();
  if (!o.keepAlpha || o.format === 'jpeg') img = img.removeAlpha();
  if (o.format === 'png') {
    const png = await (deep ? img.toColourspace('rgb16') : img).png({ compressionLevel: 6 }).toBuffer();
    return insertPngChunks(png, [textChunk('vqddm', o.trace)]);
  }
  if (deep) img = img.toColourspace('srgb');
  if (o.format === 'jpeg') {
    const sub = o.source.chromaSubsampling === '4:4:4' ? '4:4:4' : '4:2:0';
    return img.jpeg({ quality: o.quality, chromaSubsampling: sub }).toBuffer();
  }
  return img.webp(o.quality >= 100 ? { lossless: true } : { quality: o.quality }).toBuffer();
}
