/**
 * Moving pixels between a crop and the model's fixed resolution (sharp's Lanczos resampling), and between
 * 8-bit RGB and the models' float32 CHW tensors in [-1, 1].
 */
import sharp from 'sharp';
import { maxValue, type Pixels } from './pixels.js';

/**
 * Model input for one crop: masked pixels replaced by the mean colour of the crop's unmasked pixels (so
 * the encoder never sees what is to be removed), resized to S x S. Returns float32 [3, S, S] in [-1, 1].
 */
export async function cropToModelInput(crop: Pixels, tileMask: Uint8Array, S: number): Promise<Float32Array> {
  const n = crop.width * crop.height;
  const scale = 255 / maxValue(crop);
  const mean = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (tileMask[i]) continue;
    for (let c = 0; c < 3; c++) mean[c] += crop.data[i * 4 + c] * scale;
    count++;
  }
  for (let c = 0; c < 3; c++) mean[c] = count > 0 ? mean[c] / count : 127.5;
  const rgb = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = tileMask[i] ? Math.round(mean[c]) : Math.round(crop.data[i * 4 + c] * scale);
  }
  const resized = await resizeRgb(rgb, crop.width, S);
  const out = new Float32Array(3 * S * S);
  for (let i = 0; i < S * S; i++) for (let c = 0; c < 3; c++) out[c * S * S + i] = resized[i * 3 + c] / 127.5 - 1;
  return out;
}

/** One decoded image (float32 [3, S, S] at `offset` in `decoded`) resized to size x size 8-bit RGB. */
export async function decodedToRgb(decoded: Float32Array, offset: number, S: number, size: number): Promise<Uint8Array> {
  const rgb = Buffer.alloc(S * S * 3);
  for (let i = 0; i < S * S; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (decoded[offset + c * S * S + i] + 1) * 127.5;
      rgb[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return size === S ? rgb : resizeRgb(rgb, S, size);
}

async function resizeRgb(rgb: Buffer, from: number, to: number): Promise<Buffer> {
  if (from === to) return rgb;
  return sharp(rgb, { raw: { width: from, height: from, channels: 3 } })
    .resize(to, to, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer();
}
