/**
 * Opening a photo in the page: the browser decodes JPEG, PNG, WebP and GIF itself (EXIF orientation
 * applied), so a 24 MP photo's 96 MB of RGBA never crosses the WebSocket or IPC. Anything it cannot or
 * should not decode here (imageKind.ts, translucency, sizes the engine refuses) returns null and goes to
 * the engine (`api.decodeImage`), whose errors name the problem.
 */
import type { RgbaImage } from '../../electron/shared/contract';
import { ctx2d, newCanvas } from './images';
import { declaredSize, pageDecodable } from './imageKind';

export interface PageDecoded {
  image: RgbaImage;
  /** A canvas already holding the pixels, so the document need not draw them again. */
  canvas: HTMLCanvasElement;
}

/** `maxPixels` and `minSide` are the engine's limits (EngineInfo): images outside them go to the engine for its message. */
export async function decodeInPage(bytes: Uint8Array, maxPixels: number, minSide: number): Promise<PageDecoded | null> {
  if (typeof createImageBitmap !== 'function' || !pageDecodable(bytes)) return null;
  const declared = declaredSize(bytes);
  if (!declared || declared.width * declared.height > maxPixels) return null;
  let bitmap: ImageBitmap;
  try {
    // 'default' converts ICC-tagged files to sRGB, as the engine's decoder does (untagged ones are sRGB).
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { imageOrientation: 'from-image', colorSpaceConversion: 'default' });
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    if (width * height > maxPixels || Math.min(width, height) < minSide) return null;
    const canvas = newCanvas(width, height);
    const ctx = ctx2d(canvas);
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height).data;
    // A canvas stores premultiplied alpha, so translucent pixels would not come back exactly: those
    // photos are decoded by the engine.
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return null;
    return { image: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, canvas };
  } finally {
    bitmap.close();
  }
}
