/**
 * A batch result as a file in its input's kind: the writing itself (EXIF and ICC carried, 16 bits kept,
 * JPEG at its own quality, the trace of settings and seed) is the engine's, shared with `vqddm inpaint`
 * (engine/io/imageOutput.ts); here only the batch's choice of output format by the photo's name.
 */
import type { ImageFormat } from '../../shared/contract.js';

export { carryableExif, encodeResult, estimateJpegQuality, insertPngChunks, outputQuality, readSourceMeta, textChunk, type EncodeOptions, type SourceMeta } from '../../engine/io/imageOutput.js';

/**
 * The output format: the one asked for, else the photo's by its extension (.jpg/.jpeg stays JPEG, .webp
 * WebP, anything else PNG), so every output's name is known before any photo is read.
 */
export function outputFormat(asked: ImageFormat | null, photoName: string): ImageFormat {
  if (asked) return asked;
  const ext = photoName.toLowerCase().split('.').pop();
  return ext === 'jpg' || ext === 'jpeg' ? 'jpeg' : ext === 'webp' ? 'webp' : 'png';
}

export function extensionOf(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
