/**
 * Time to a first result from a cold process: `vqddm inpaint` run as a person runs it (`node` on the CLI's
 * bundle, no npx), from spawn to exit with the file written. Once with an empty cache folder (checksums
 * and optimised models computed and stored) and then `runs` times with that cache, as every later start is.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MaskImage } from '../../shared/contract.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { median } from './median.js';

function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`vqddm inpaint exited ${code}: ${err.trim()}`))));
  });
}

export interface ColdStart {
  /** Median over `runs` starts with the cache filled. */
  ms: number;
  /** The first start ever (empty cache folder). */
  first_ms: number;
  runs: number;
}

/** `cli`: the CLI bundle (out/cli/index.js). The photo is written as a JPEG (quality 92), the mask as a PNG. */
export async function coldStart(cli: string, packDir: string, device: string, photo: Pixels, mask: MaskImage, runs = 3): Promise<ColdStart> {
  const dir = await mkdtemp(join(tmpdir(), 'vqddm-cold-'));
  try {
    const imagePath = join(dir, 'photo.jpg');
    const maskPath = join(dir, 'mask.png');
    await writeFile(imagePath, await sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), { raw: { width: photo.width, height: photo.height, channels: 4 } }).removeAlpha().jpeg({ quality: 92 }).toBuffer());
    await writeFile(maskPath, await sharp(Buffer.from(mask.data), { raw: { width: mask.width, height: mask.height, channels: 1 } }).png().toBuffer());
    const args = [cli, 'inpaint', '--pack', packDir, '--device', device, '--image', imagePath, '--mask', maskPath, '--out', join(dir, 'out.jpg'), '--overwrite'];
    const env = { ...process.env, VQDDM_CACHE_DIR: join(dir, 'cache') };
    const first = await timeProcess(args, env);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) times.push(await timeProcess(args, env));
    return { ms: median(times), first_ms: first, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
