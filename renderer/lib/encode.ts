/**
 * Exports encoded in the page (the mask, comparison sheets): the browser encodes opaque images to PNG, JPEG
 * or lossy WebP itself, so large images are not sent to the engine and back. (Saving the photo goes to the
 * engine's `encodeEdited`, which keeps the file's EXIF and profile.) Translucent images (a canvas stores premultiplied alpha, so
 * their pixels would not survive exactly) and lossless WebP (quality 100, which the browser's encoder does
 * not offer) go to the engine (`api.encodeImage`). An opaque image's PNG holds exactly its pixels.
 */
import type { ImageFormat, RgbaImage } from '../../electron/shared/contract';
import { newCanvas, putRgba } from './images';

const MIME: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export async function encodeInPage(image: RgbaImage, format: ImageFormat, quality: number): Promise<Uint8Array | null> {
  if (format === 'webp' && quality >= 100) return null;
  for (let i = 3; i < image.data.length; i += 4) if (image.data[i] !== 255) return null;
  const canvas = newCanvas(image.width, image.height);
  putRgba(canvas, image);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, MIME[format], quality / 100));
  // A canvas too large for the browser yields null: the engine encodes it instead.
  return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
}
