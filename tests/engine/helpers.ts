/** Shared fixtures for the engine tests: the tiny random pack, the fixture photo, masks, temp dirs. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { MaskImage } from '../../electron/shared/contract.js';
import { decodeImage } from '../../electron/engine/image/codec.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const TINY_PACK = join(ROOT, 'models', 'tiny');
/** The shipped pack (trained weights). */
export const DEFAULT_PACK = join(ROOT, 'models', 'default');
export const PHOTO = join(ROOT, 'tests', 'fixtures', 'photo.jpg');

export async function photo(): Promise<Pixels> {
  return (await decodeImage(readFileSync(PHOTO))).pixels;
}

export function rectMask(width: number, height: number, x: number, y: number, w: number, h: number): MaskImage {
  const data = new Uint8Array(width * height);
  for (let r = y; r < y + h; r++) data.fill(255, r * width + x, r * width + x + w);
  return { width, height, data };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vqddm-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A writable copy of the tiny pack, to break in a test. */
export function copyOfTinyPack(): { dir: string; cleanup: () => void } {
  const t = tempDir();
  cpSync(TINY_PACK, t.dir, { recursive: true });
  return t;
}

/** Indices of RGBA bytes that differ between two images. */
export function changedOutside(a: Pixels, b: Pixels, mask: MaskImage): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] >= 128) continue;
    for (let c = 0; c < 4; c++) if (a.data[i * 4 + c] !== b.data[i * 4 + c]) n++;
  }
  return n;
}

/** A file's stored values: no colour management, EXIF orientation applied, at the file's own depth. */
export interface StoredValues {
  width: number;
  height: number;
  channels: number;
  deep: boolean;
  data: Uint8Array | Uint16Array;
}

/** The values `file` stores (a path or its bytes), RGB, or RGBA when it has alpha and `alpha` is set. */
export async function storedValues(file: string | Buffer, { alpha = false } = {}): Promise<StoredValues> {
  const deep = (await sharp(file).metadata()).depth === 'ushort';
  let pipeline = sharp(file, { ignoreIcc: true, autoOrient: true }).toColourspace(deep ? 'rgb16' : 'srgb');
  if (!alpha) pipeline = pipeline.removeAlpha();
  const { data, info } = await pipeline.raw({ depth: deep ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, deep, data: deep ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data) };
}
