/**
 * `vqddm batch` end to end, through `node bin/vqddm.js batch` on small generated folders and the tiny pack:
 * pairing rules, dry run, bad items failing alone, formats and metadata, the run record, resume after
 * kill -9, shards, seeds, read-only output, comparison sheets, results beside the photos, bad options; and
 * the runner's pipelining, called directly.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MaskImage, Method } from '../../electron/shared/contract.js';
import { decodeImage, decodeMask } from '../../electron/engine/image/codec.js';
import { writeDurably } from '../../electron/cli/batch/durable.js';
import { Progress } from '../../electron/cli/batch/progress.js';
import type { BatchOptions } from '../../electron/cli/batch/options.js';
import { pairPhotos } from '../../electron/cli/batch/pairing.js';
import { runBatch, type RunContext } from '../../electron/cli/batch/run.js';
import { openRun, prepareOut } from '../../electron/cli/batch/session.js';
import { settingsFromOptions } from '../../electron/cli/batch/settingsArgs.js';
import { Engine } from '../../electron/engine/engine.js';
import { refinePool } from '../../electron/engine/jobs/refinePool.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { changedOutside, PHOTO, rectMask, ROOT, tempDir, TINY_PACK } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const W = 256;
const H = 192;
const MASK = rectMask(W, H, 90, 60, 40, 30);
const BASE = ['--pack', TINY_PACK, '--device', 'cpu', '--steps', '2'];

function vqddm(args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', ...args], { encoding: 'utf8', ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const pixelsOf = async (path: string): Promise<Pixels> => (await decodeImage(readFileSync(path))).pixels;
const maskPng = (m: MaskImage) => sharp(Buffer.from(m.data), { raw: { width: m.width, height: m.height, channels: 1 } }).png().toBuffer();

interface Line {
  item: string;
  method: string;
  status: string;
  seed: number;
  outputs: string[];
  input_sha256: string | null;
  error?: { code: string; message: string };
  metrics?: Record<string, number>;
  note?: string;
}
/** A record's lines; a torn one (a crash mid-append) is left out, as the command does. */
const recordOf = (out: string, name = 'batch.jsonl'): Line[] =>
  readFileSync(join(out, name), 'utf8').split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Line];
    } catch {
      return [];
    }
  });
/** Each unit's latest line. */
const latest = (lines: Line[]) => new Map(lines.filter((l) => l.status !== 'skipped').map((l) => [`${l.item}|${l.method}`, l]));

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

/** A fresh folder under the test's temp dir. */
let n = 0;
function folder(name: string): string {
  const d = join(tmp.dir, `${name}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** `count` copies of the fixture photo, and their masks in a masks folder (stem rule). */
function photosWithMasks(count: number, ext = 'jpg'): { images: string; masks: string } {
  const images = folder('images');
  const masks = folder('masks');
  for (let i = 0; i < count; i++) {
    copyFileSync(ext === 'jpg' ? PHOTO : join(tmp.dir, `photo.${ext}`), join(images, `p${i}.${ext}`));
    copyFileSync(join(tmp.dir, 'mask.png'), join(masks, `p${i}.png`));
  }
  return { images, masks };
}

async function until(what: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Masked pixels whose RGB differs. */
function changedInside(a: Pixels, b: Pixels, mask: MaskImage): number {
  let k = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] < 128) continue;
    if (a.data[i * 4] !== b.data[i * 4] || a.data[i * 4 + 1] !== b.data[i * 4 + 1] || a.data[i * 4 + 2] !== b.data[i * 4 + 2]) k++;
  }
  return k;
}

/** The bytes of a JPEG's quantisation tables (what its quality setting made). */
function dqt(bytes: Buffer): string {
  const tables: string[] = [];
  for (let o = 2; o + 4 <= bytes.length && bytes[o] === 0xff; o += 2 + bytes.readUInt16BE(o + 2)) {
    if (bytes[o + 1] === 0xda) break;
    if (bytes[o + 1] === 0xdb) tables.push(bytes.subarray(o + 4, o + 2 + bytes.readUInt16BE(o + 2)).toString('hex'));
  }
  return tables.join('|');
}

/** A PNG's tEXt chunks. */
function pngText(bytes: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let o = 8; o + 8 <= bytes.length; o += 12 + bytes.readUInt32BE(o)) {
    if (bytes.toString('latin1', o + 4, o + 8) !== 'tEXt') continue;
    const data = bytes.subarray(o + 8, o + 8 + bytes.readUInt32BE(o)).toString('latin1');
    out[data.slice(0, data.indexOf('\0'))] = data.slice(data.indexOf('\0') + 1);
  }
  return out;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-node.mjs')], { cwd: ROOT });
  writeFileSync(join(tmp.dir, 'mask.png'), await maskPng(MASK));
  await sharp(PHOTO).png().toFile(join(tmp.dir, 'photo.png'));
});

describe('vqddm batch: pairing and the dry run', () => {
  it('--dry-run lists every pair and every problem, fills nothing and loads no model', async () => {
    const images = folder('images');
    const masks = folder('masks');
    const out = folder('out');
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) copyFileSync(PHOTO, join(images, `${name}.jpg`));
    copyFileSync(join(tmp.dir, 'photo.png'), join(images, 'f.png')); // f.jpg and f.png: one stem
    writeFileSync(join(masks, 'a.png'), await maskPng(MASK));
    writeFileSync(join(masks, 'b.png'), await maskPng(rectMask(128, 96, 45, 30, 20, 15))); // same aspect: resized
    writeFileSync(join(masks, 'c.png'), await maskPng(rectMask(100, 100, 10, 10, 20, 20))); // another aspect
    writeFileSync(join(masks, 'd.png'), await maskPng(rectMask(W, H, 0, 0, 0, 0))); // empty
    writeFileSync(join(masks, 'zz.png'), await maskPng(MASK)); // no photo; e.jpg has no mask
    writeFileSync(join(masks, 'f.png'), await maskPng(MASK));
    const r = vqddm(['--images', images, '--masks', masks, '--out', out, '--dry-run', '--json', '--pack', join(tmp.dir, 'no-such-pack')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1); // problems
    const report = JSON.parse(r.stdout);
    const byItem = Object.fromEntries(report.pairs.map((p: { item: string }) => [p.item, p]));
    expect(Object.keys(byItem)).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg', 'f.png']);
    expect(byItem['a.jpg']).toMatchObject({ status: 'ready', mask: join(masks, 'a.png'), rule: 'stem', size: '256x192', note: null });
    expect(byItem['b.jpg']).toMatchObject({ status: 'ready', note: 'mask 128x96 resized to 256x192 (nearest-neighbour)' });
    expect(byItem['c.jpg'].status).toBe('problem');
    expect(byItem['c.jpg'].problem).toMatch(/mask .*c\.png is 100x100 but the photo is 256x192, another aspect ratio/);
    expect(byItem['d.jpg'].problem).toMatch(/mask .*d\.png is empty/);
    expect(byItem['e.jpg'].problem).toMatch(/^no mask: nothing named e\.</);
    for (const f of ['f.jpg', 'f.png']) expect(byItem[f].problem).toMatch(/f\.jpg and f\.png share the stem "f"/);
    expect(report.masks_without_photo).toEqual([join(masks, 'zz.png')]);
    expect(report).toMatchObject({ ready: 2, done: 0, problems: 5 });
    expect(readdirSync(out)).toEqual([]);

    // The text form says the same, one line per pair or problem.
    const text = vqddm(['--images', images, '--masks', masks, '--out', out, '--dry-run']);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/a\.jpg {2}<- {2}.*a\.png\n/);
    expect(text.stdout).toMatch(/c\.jpg {2}<- .*PROBLEM: the mask .* is 100x100 but the photo is 256x192/);
    expect(text.stdout).toMatch(/PROBLEM: mask without a photo: .*zz\.png/);
    expect(text.stdout).toMatch(/2 ready, 0 done, 5 with problems; 1 mask without a photo; 0 files in the way\. Nothing was filled/);
  });

  it('a run: bad items (no mask, empty or misshapen mask, a corrupt photo in the middle) fail alone, with the reason in the record and on screen; the rest is filled', async () => {
    const images = folder('images');
    const masks = folder('masks');
    const out = folder('out');
    for (const name of ['a', 'b', 'd', 'e']) copyFileSync(PHOTO, join(images, `${name}.jpg`));
    const photo = readFileSync(PHOTO);
    writeFileSync(join(images, 'c.jpg'), photo.subarray(0, photo.length >> 1)); // truncated
    for (const name of ['a', 'c', 'e']) writeFileSync(join(masks, `${name}.png`), await maskPng(MASK));
    writeFileSync(join(masks, 'b.png'), await maskPng(rectMask(128, 96, 45, 30, 20, 15)));
    writeFileSync(join(masks, 'd.png'), await maskPng(rectMask(100, 100, 10, 10, 20, 20)));
    const r = vqddm(['--images', images, '--masks', masks, '--out', out, '--methods', 'vqddm', '--json', ...BASE]);
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ done: 3, skipped: 0, failed: 2, pending: 0, items: 5, out, stopped: null });
    expect(summary.methods.vqddm.items).toBe(3);
    expect(summary.methods.vqddm.mean_ms).toBeGreaterThan(0);
    // Piped: plain lines, one per item, no redrawn bar.
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toMatch(/^\[1\/5\] done a\.jpg: vqddm \d+\.\d\d s \(1\/5 items, 0 failed, \d+:\d\d elapsed, ~\d+:\d\d left\)$/m);
    expect(r.stderr).toMatch(/^\[3\/5\] FAILED c\.jpg: the photo .*c\.jpg could not be decoded \(truncated or corrupt/m);
    expect(r.stderr).toMatch(/FAILED d\.jpg: the mask .*d\.png is 100x100 but the photo is 256x192/);
    expect(filesUnder(out)).toEqual(['a.vqddm.jpg', 'b.vqddm.jpg', 'batch.json', 'batch.jsonl', 'e.vqddm.jpg']);
    const state = latest(recordOf(out));
    expect(state.get('c.jpg|vqddm')).toMatchObject({ status: 'failed', error: { code: 'BAD_IMAGE' } });
    expect(state.get('c.jpg|vqddm')!.input_sha256).toBe(createHash('sha256').update(readFileSync(join(images, 'c.jpg'))).digest('hex'));
    expect(state.get('d.jpg|vqddm')).toMatchObject({ status: 'failed', error: { code: 'MASK_SIZE_MISMATCH' } });
    expect(state.get('e.jpg|vqddm')!.status).toBe('done'); // after the corrupt one: the run went on
    expect(state.get('b.jpg|vqddm')!.note).toMatch(/mask 128x96 resized to 256x192/);
    // Each filled item: the photo's size, the masked area repainted.
    for (const name of ['a', 'b', 'e']) {
      const [filled, original] = await Promise.all([pixelsOf(join(out, `${name}.vqddm.jpg`)), pixelsOf(PHOTO)]);
      expect([filled.width, filled.height]).toEqual([W, H]);
      expect(changedInside(filled, original, MASK)).toBeGreaterThan(0.5 * 40 * 30);
    }
  });

  it('--pair suffix with --recursive: <stem>_mask / <stem>.mask beside the photos, sub-folders mirrored in --out', async () => {
    const images = folder('images');
    const out = folder('out');
    mkdirSync(join(images, 'sub', 'deeper'), { recursive: true });
    copyFileSync(PHOTO, join(images, 'a.jpg'));
    copyFileSync(join(tmp.dir, 'mask.png'), join(images, 'a_mask.png'));
    copyFileSync(PHOTO, join(images, 'sub', 'b.jpg'));
    copyFileSync(join(tmp.dir, 'mask.png'), join(images, 'sub', 'b.mask.png'));
    copyFileSync(PHOTO, join(images, 'sub', 'deeper', 'c.jpg'));
    copyFileSync(join(tmp.dir, 'mask.png'), join(images, 'sub', 'deeper', 'c_mask.png'));
    const flat = vqddm(['--images', images, '--out', out, '--dry-run', '--json']);
    expect(JSON.parse(flat.stdout).pairs.map((p: { item: string }) => p.item)).toEqual(['a.jpg']);
    const r = vqddm(['--images', images, '--out', out, '--pair', 'suffix', '--recursive', '--methods', 'transformer', '--masks-out', ...BASE]);
    expect(r.stderr).not.toMatch(/FAILED|error/);
    expect(r.status).toBe(0);
    expect(filesUnder(out)).toEqual([
      'a.mask.png', 'a.transformer.jpg', 'batch.json', 'batch.jsonl',
      join('sub', 'b.mask.png'), join('sub', 'b.transformer.jpg'), join('sub', 'deeper', 'c.mask.png'), join('sub', 'deeper', 'c.transformer.jpg'),
    ]);
    // --masks-out: the mask as used.
    const m = await decodeMask(readFileSync(join(out, 'sub', 'b.mask.png')), W, H);
    expect(Buffer.from(m.data.map((v) => (v >= 128 ? 1 : 0))).equals(Buffer.from(MASK.data.map((v) => (v >= 128 ? 1 : 0))))).toBe(true);
    expect(latest(recordOf(out)).get('sub/deeper/c.jpg|transformer')).toMatchObject({ status: 'done', outputs: ['sub/deeper/c.transformer.jpg'] });
  });

  it('--pair single: one mask for every photo; --pair alpha: the transparent pixels are filled and come out opaque, nothing else changes', async () => {
    const { images } = photosWithMasks(2, 'png');
    const out = folder('out');
    const r = vqddm(['--images', images, '--masks', join(tmp.dir, 'mask.png'), '--out', out, '--methods', 'vqddm', ...BASE]);
    expect(r.status).toBe(0);
    expect(filesUnder(out)).toEqual(['batch.json', 'batch.jsonl', 'p0.vqddm.png', 'p1.vqddm.png']);
    expect(JSON.parse(readFileSync(join(out, 'batch.json'), 'utf8')).pairing.rule).toBe('single');

    // alpha: a PNG whose masked rectangle is transparent (and whose RGB there is black).
    const alphaImages = folder('images');
    const original = await pixelsOf(join(tmp.dir, 'photo.png'));
    const holed = Buffer.from(original.data);
    for (let i = 0; i < MASK.data.length; i++) if (MASK.data[i] >= 128) holed.fill(0, i * 4, i * 4 + 4);
    await sharp(holed, { raw: { width: W, height: H, channels: 4 } }).png().toFile(join(alphaImages, 'holed.png'));
    await sharp(PHOTO).png().toFile(join(alphaImages, 'opaque.png')); // no alpha channel: fails alone
    const alphaOut = folder('out');
    const a = vqddm(['--images', alphaImages, '--pair', 'alpha', '--out', alphaOut, '--methods', 'vqddm', ...BASE]);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/FAILED opaque\.png: the photo .*opaque\.png has no alpha channel/);
    const filled = await pixelsOf(join(alphaOut, 'holed.vqddm.png'));
    const meta = await sharp(join(alphaOut, 'holed.vqddm.png')).metadata();
    expect(meta.hasAlpha).toBe(false); // every pixel opaque now: no alpha channel
    expect(changedOutside(filled, original, MASK)).toBe(0);
    expect(changedInside(filled, { ...original, data: holed }, MASK)).toBeGreaterThan(0.9 * 40 * 30);
  });
});

describe('vqddm batch: output files', () => {
  it('keeps the input format (JPEG at its own quality tables, PNG, 16-bit PNG, lossless WebP) or --format; unmasked PNG pixels stay bit-identical; the seed and settings are in the file', async () => {
    const images = folder('images');
    const masks = folder('masks');
    await sharp(PHOTO).jpeg({ quality: 75 }).toFile(join(images, 'j.jpg'));
    await sharp(PHOTO).png().toFile(join(images, 'p.png'));
    // 16 bits with low bytes that 8 bits cannot hold.
    const eight = await pixelsOf(PHOTO);
    const deep = new Uint16Array(W * H * 3);
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) deep[i * 3 + c] = eight.data[i * 4 + c] * 257 - (i % 97);
    await sharp(deep, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toFile(join(images, 'd.png'));
    // The fixture holds exactly those values (a Buffer of the same bytes is read as 8-bit data: another image).
    const fixture = (await pixelsOf(join(images, 'd.png'))).data;
    expect(fixture).toBeInstanceOf(Uint16Array);
    expect(fixture.filter((v, i) => i % 4 !== 3 && v !== deep[(i >> 2) * 3 + (i % 4)]).length).toBe(0);
    await sharp(PHOTO).webp({ lossless: true }).toFile(join(images, 'w.webp'));
    for (const s of ['j', 'p', 'd', 'w']) copyFileSync(join(tmp.dir, 'mask.png'), join(masks, `${s}.png`));
    const out = folder('out');
    const r = vqddm(['--images', images, '--masks', masks, '--out', out, '--methods', 'vqddm', ...BASE]);
    expect(r.status).toBe(0);
    expect(filesUnder(out)).toEqual(['batch.json', 'batch.jsonl', 'd.vqddm.png', 'j.vqddm.jpg', 'p.vqddm.png', 'w.vqddm.webp']);
    const state = latest(recordOf(out));

    const jpg = readFileSync(join(out, 'j.vqddm.jpg'));
    expect((await sharp(jpg).metadata()).format).toBe('jpeg');
    expect(dqt(jpg)).toBe(dqt(readFileSync(join(images, 'j.jpg')))); // the same quality setting
    const exif = (await sharp(jpg).metadata()).exif!.toString('latin1');
    expect(exif).toContain(`"seed":${state.get('j.jpg|vqddm')!.seed}`); // EXIF UserComment
    expect(exif).toContain('"steps":2');

    const png = readFileSync(join(out, 'p.vqddm.png'));
    const trace = JSON.parse(pngText(png).vqddm);
    expect(trace).toMatchObject({ source: 'p.png', method: 'vqddm', seed: state.get('p.png|vqddm')!.seed, base_seed: 1, pack: 'tiny', settings: { steps: 2 } });
    expect(changedOutside(await pixelsOf(join(out, 'p.vqddm.png')), await pixelsOf(join(images, 'p.png')), MASK)).toBe(0);

    const d = await decodeImage(readFileSync(join(out, 'd.vqddm.png')));
    expect((await sharp(join(out, 'd.vqddm.png')).metadata()).depth).toBe('ushort');
    expect(d.pixels.data).toBeInstanceOf(Uint16Array);
    expect(changedOutside(d.pixels, await pixelsOf(join(images, 'd.png')), MASK)).toBe(0);

    const webp = readFileSync(join(out, 'w.vqddm.webp'));
    expect(webp.toString('latin1')).toContain('VP8L'); // lossless, as its input
    expect(changedOutside(await pixelsOf(join(out, 'w.vqddm.webp')), await pixelsOf(join(images, 'w.webp')), MASK)).toBe(0);

    const asPng = folder('out');
    const f = vqddm(['--images', images, '--masks', masks, '--out', asPng, '--methods', 'vqddm', '--format', 'png', ...BASE]);
    expect(f.status).toBe(0);
    expect(filesUnder(asPng).filter((x) => !x.startsWith('batch'))).toEqual(['d.vqddm.png', 'j.vqddm.png', 'p.vqddm.png', 'w.vqddm.png']);
    // The same seeds: the PNG of the JPEG holds the same fill as the JPEG, within JPEG's loss.
    expect(latest(recordOf(asPng)).get('j.jpg|vqddm')!.seed).toBe(state.get('j.jpg|vqddm')!.seed);
  });

  it('EXIF orientation applies to photo and mask alike; EXIF (orientation reset) and the ICC profile are carried over', async () => {
    const images = folder('images');
    const masks = folder('masks');
    // Stored turned a quarter left with orientation 6 (show turned right): upright it is the 256x192 photo.
    await sharp(PHOTO).rotate(270).withMetadata({ orientation: 6 }).withExifMerge({ IFD0: { Make: 'TestCam', Artist: 'Someone' } }).withIccProfile('p3').jpeg({ quality: 90 }).toFile(join(images, 'r.jpg'));
    expect(await sharp(join(images, 'r.jpg')).metadata()).toMatchObject({ width: H, height: W, orientation: 6 });
    copyFileSync(join(tmp.dir, 'mask.png'), join(masks, 'r.png')); // drawn on the upright photo
    // A mask stored turned too, with its own orientation tag: the same mask once upright.
    copyFileSync(join(images, 'r.jpg'), join(images, 's.jpg'));
    await sharp(join(tmp.dir, 'mask.png')).rotate(270).withMetadata({ orientation: 6 }).png().toFile(join(masks, 's.png'));
    const out = folder('out');
    const r = vqddm(['--images', images, '--masks', masks, '--out', out, '--methods', 'vqddm', '--masks-out', ...BASE]);
    expect(r.status).toBe(0);
    for (const s of ['r', 's']) {
      const meta = await sharp(join(out, `${s}.vqddm.jpg`)).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', width: W, height: H });
      expect(meta.orientation ?? 1).toBe(1);
      expect(meta.exif!.toString('latin1')).toContain('TestCam');
      expect(meta.exif!.toString('latin1')).toContain('Someone');
      expect(meta.icc?.length).toBe((await sharp(join(images, 'r.jpg')).metadata()).icc!.length);
      const used = await decodeMask(readFileSync(join(out, `${s}.mask.png`)), W, H);
      expect(Buffer.from(used.data.map((v) => (v >= 128 ? 1 : 0))).equals(Buffer.from(MASK.data.map((v) => (v >= 128 ? 1 : 0)))), s).toBe(true);
    }
    // Same stem-derived seeds differ per photo, same mask: the two fills differ.
    const [a, b] = await Promise.all([pixelsOf(join(out, 'r.vqddm.jpg')), pixelsOf(join(out, 's.vqddm.jpg'))]);
    expect(changedInside(a, b, MASK)).toBeGreaterThan(0);
  });

  it('--reference: masked PSNR, SSIM and seam per method per item in the record, their means side by side in the summary; --report csv', () => {
    const { images, masks } = photosWithMasks(2);
    const out = folder('out');
    const r = vqddm(['--images', images, '--masks', masks, '--out', out, '--reference', images, '--report', 'csv', '--samples', '2', '--json', ...BASE]);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    for (const m of ['vqddm', 'transformer']) {
      const s = summary.methods[m];
      expect(s.items).toBe(2);
      expect(s.psnr_db).toBeGreaterThan(5);
      expect(s.psnr_db).toBeLessThan(60);
      expect(s.ssim).toBeGreaterThan(-1);
      expect(s.ssim).toBeLessThan(1);
      expect(s.seam).toBeGreaterThan(0);
      expect(s.seam_reference).toBeGreaterThan(0);
    }
    expect(filesUnder(out)).toEqual(['batch.csv', 'batch.json', 'batch.jsonl', 'p0.transformer-1.jpg', 'p0.transformer-2.jpg', 'p0.vqddm-1.jpg', 'p0.vqddm-2.jpg', 'p1.transformer-1.jpg', 'p1.transformer-2.jpg', 'p1.vqddm-1.jpg', 'p1.vqddm-2.jpg']);
    const line = latest(recordOf(out)).get('p1.jpg|transformer')!;
    expect(Object.keys(line.metrics!).sort()).toEqual(['psnr_db', 'seam', 'seam_reference', 'ssim']);
    const csv = readFileSync(join(out, 'batch.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^item,method,status,seed,input,input_sha256,mask,rule,outputs,.*psnr_db,ssim,seam/);
    expect(csv).toHaveLength(5);
    expect(csv.find((l) => l.startsWith('p1.jpg,transformer,done,'))).toContain('p1.transformer-1.jpg;p1.transformer-2.jpg');
  });
});

describe('vqddm batch: nothing lost, nothing stops the run', () => {
  /** Six photos, both methods: the uninterrupted run every other run is compared with. */
  let set: { images: string; masks: string };
  let clean: string;
  const args = (out: string) => ['--images', set.images, '--masks', set.masks, '--out', out, ...BASE];
  beforeAll(() => {
    set = photosWithMasks(6);
    clean = folder('clean');
    const r = vqddm(args(clean));
    expect(r.status).toBe(0);
  });
  const outputs = () => filesUnder(clean).filter((f) => !f.startsWith('batch'));

  /** Same files, byte for byte, as the clean run; every one decodes; no temporaries. */
  async function sameAsClean(out: string): Promise<void> {
    expect(filesUnder(out).filter((f) => !f.startsWith('batch'))).toEqual(outputs());
    for (const f of outputs()) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(clean, f))), f).toBe(true);
      await decodeImage(readFileSync(join(out, f)));
    }
  }

  for (const [moment, enough] of [
    ['the first item started', (l: Line[]) => l.length >= 1],
    ["the first item's first method done", (l: Line[]) => l.some((x) => x.status === 'done')],
    ['mid-run', (l: Line[]) => l.filter((x) => x.status === 'done').length >= 5],
  ] as const) {
    it(`kill -9 when ${moment}, then the same command: resumes, nothing lost, nothing done twice, every output decodes`, async () => {
      const out = folder('out');
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', ...args(out)], { stdio: 'ignore' });
      const exited = new Promise((r) => child.on('exit', r));
      const record = join(out, 'batch.jsonl');
      await until(() => existsSync(record) && enough(readFileSync(record, 'utf8').split('\n').filter((x) => x.endsWith('}')).map((x) => JSON.parse(x) as Line)));
      child.kill('SIGKILL');
      await exited;
      const before = recordOf(out);
      expect(before.filter((l) => l.status === 'done').length).toBeLessThan(12); // killed before the end
      const r = vqddm([...args(out), '--json']);
      expect(r.status).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.failed).toBe(0);
      expect(summary.done + summary.skipped).toBe(6);
      const lines = recordOf(out);
      const doneLines = lines.filter((l) => l.status === 'done');
      expect(doneLines).toHaveLength(12); // each (item, method) done once, over both runs
      expect(new Set(doneLines.map((l) => `${l.item}|${l.method}`)).size).toBe(12);
      // What the first run finished was not done again.
      for (const l of before.filter((x) => x.status === 'done')) expect(lines.filter((x) => x.item === l.item && x.method === l.method && x.status === 'started')).toHaveLength(1);
      await sameAsClean(out);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }, 180_000);
  }

  it('a torn last line (a crash mid-append) is skipped, and the next line starts on its own', async () => {
    const out = folder('out');
    expect(vqddm(args(out)).status).toBe(0);
    const text = readFileSync(join(out, 'batch.jsonl'), 'utf8');
    const lines = text.trimEnd().split('\n');
    // Forget the last item's transformer line and tear it.
    writeFileSync(join(out, 'batch.jsonl'), `${lines.slice(0, -1).join('\n')}\n${lines[lines.length - 1].slice(0, 40)}`);
    const r = vqddm([...args(out), '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ done: 1, skipped: 5, failed: 0 });
    // The torn fragment stays on a line of its own; every line after it is whole.
    const after = readFileSync(join(out, 'batch.jsonl'), 'utf8').split('\n');
    expect(after[lines.length - 1]).toBe(lines[lines.length - 1].slice(0, 40));
    for (const l of after.slice(lines.length).filter((x) => x)) expect(() => JSON.parse(l)).not.toThrow();
    expect(recordOf(out).filter((l) => l.status === 'done' && l.item === 'p5.jpg' && l.method === 'transformer')).toHaveLength(1);
    await sameAsClean(out);
  });

  it("killed between a file's rename and its done line: the rerun rewrites its own file; a killed write's temporary is removed, another shard's left alone", async () => {
    const out = folder('out');
    expect(vqddm(args(out)).status).toBe(0);
    // The state a kill leaves just after the rename: the file is there, the record says only "started".
    const lines = readFileSync(join(out, 'batch.jsonl'), 'utf8').trimEnd().split('\n');
    // (the last item's two fills run side by side: either may have finished last)
    const last = JSON.parse(lines[lines.length - 1]) as Line;
    expect(last).toMatchObject({ item: 'p5.jpg', status: 'done' });
    const file = `p5.${last.method}.jpg`;
    writeFileSync(join(out, 'batch.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
    writeFileSync(join(out, file), readFileSync(join(clean, file)).subarray(0, 100)); // and torn, too
    writeFileSync(join(out, `.${file}.vqddm-s1of1-0123abcd.tmp`), 'a killed write');
    writeFileSync(join(out, '.p4.vqddm.jpg.vqddm-s2of2-0123abcd.tmp'), "another shard's write in progress");
    const r = vqddm([...args(out), '--json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ done: 1, skipped: 5, failed: 0 });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual(['.p4.vqddm.jpg.vqddm-s2of2-0123abcd.tmp']);
    rmSync(join(out, '.p4.vqddm.jpg.vqddm-s2of2-0123abcd.tmp'));
    await sameAsClean(out);
  });

  it('a file is written whole or not at all: a write that fails leaves the file as it was and no temporary', async () => {
    const dir = folder('durable');
    await expect(writeDurably(join(dir, 'x.png'), 42 as unknown as Uint8Array, 'vqddm-s1of1')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
    await writeDurably(join(dir, 'x.png'), 'whole', 'vqddm-s1of1');
    await expect(writeDurably(join(dir, 'x.png'), 42 as unknown as Uint8Array, 'vqddm-s1of1')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['x.png']);
    expect(readFileSync(join(dir, 'x.png'), 'utf8')).toBe('whole');
  });

  it('shards: --shard 1/2 and 2/2 running at once into one folder, then --merge-records, equal a single run pixel for pixel', async () => {
    const out = folder('out');
    const run = (k: number) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', ...args(out), '--shard', `${k}/2`], { stdio: 'ignore' }).on('exit', resolve));
    expect(await Promise.all([run(1), run(2)])).toEqual([0, 0]);
    expect(recordOf(out, 'batch.shard-1-of-2.jsonl').map((l) => l.item).filter((x, i, a) => a.indexOf(x) === i)).toEqual(['p0.jpg', 'p2.jpg', 'p4.jpg']);
    const m = vqddm(['--merge-records', out, '--json']);
    expect(m.status).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ merged: ['batch.shard-1-of-2.jsonl', 'batch.shard-2-of-2.jsonl'], units: { done: 12, failed: 0, started: 0 } });
    const merged = recordOf(out);
    expect(merged.filter((l) => l.status === 'done')).toHaveLength(12);
    await sameAsClean(out);
    // The seeds each item got are the single run's.
    const single = latest(recordOf(clean));
    for (const [key, line] of latest(merged)) expect(line.seed).toBe(single.get(key)!.seed);
    // A whole-batch rerun on the merged folder finds everything done.
    const again = vqddm([...args(out), '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ done: 0, skipped: 6, failed: 0 });
  }, 180_000);

  it("seeds: derived from the base seed and the photo's path, recorded, the same on a rerun; another --seed, other pixels", async () => {
    const lines = latest(recordOf(clean));
    for (let i = 0; i < 6; i++) {
      const seed = createHash('sha256').update(`1:p${i}.jpg`).digest().readUInt32BE(0);
      expect(lines.get(`p${i}.jpg|vqddm`)!.seed).toBe(seed);
      expect(lines.get(`p${i}.jpg|transformer`)!.seed).toBe(seed);
    }
    expect(new Set([...lines.values()].map((l) => l.seed)).size).toBe(6);
    // Outputs gone, record gone: the same command gives the same bytes.
    const out = folder('out');
    expect(vqddm(args(out)).status).toBe(0);
    await sameAsClean(out);
    // Another seed into the same folder is another batch: refused before anything is written.
    const before = readFileSync(join(clean, 'batch.jsonl'));
    const mixed = vqddm([...args(clean), '--seed', '2']);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/--out holds another batch \(seed: 1 there, 2 now\); rerun with its options or choose another --out/);
    expect(readFileSync(join(clean, 'batch.jsonl')).equals(before)).toBe(true);
    const other = folder('out');
    expect(vqddm([...args(other), '--seed', '2', '--methods', 'vqddm']).status).toBe(0);
    const [a, b] = await Promise.all([pixelsOf(join(other, 'p0.vqddm.jpg')), pixelsOf(join(clean, 'p0.vqddm.jpg'))]);
    expect(changedInside(a, b, MASK)).toBeGreaterThan(0);
  });

  it('an output recorded as done that no longer decodes is filled again; a file no record wrote stops the run before it starts, naming it', async () => {
    const out = folder('out');
    expect(vqddm(args(out)).status).toBe(0);
    writeFileSync(join(out, 'p3.vqddm.jpg'), 'broken');
    const r = vqddm([...args(out), '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ done: 1, skipped: 5 });
    expect(latest(recordOf(out)).get('p3.jpg|vqddm')!.note).toMatch(/recorded as done, but p3\.vqddm\.jpg does not decode/);
    await sameAsClean(out);

    const fresh = folder('out');
    writeFileSync(join(fresh, 'p2.transformer.jpg'), 'somebody else\'s');
    const s = vqddm(args(fresh));
    expect(s.status).toBe(2);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.stderr).toMatch(/p2\.transformer\.jpg already exists and no record of this batch wrote it; nothing is written over/);
    expect(readdirSync(fresh)).toEqual(['p2.transformer.jpg']);
  });

  it('--retry-failed reruns only the failed items; 5 failures in a row stop the run, saying why', async () => {
    const images = folder('images');
    const masks = folder('masks');
    for (let i = 0; i < 8; i++) {
      writeFileSync(join(images, `q${i}.jpg`), i === 1 ? 'not a photo' : readFileSync(PHOTO));
      copyFileSync(join(tmp.dir, 'mask.png'), join(masks, `q${i}.png`));
    }
    const out = folder('out');
    const a = ['--images', images, '--masks', masks, '--out', out, '--methods', 'vqddm', ...BASE];
    const first = vqddm([...a, '--json']);
    expect(first.status).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ done: 7, failed: 1 });
    copyFileSync(PHOTO, join(images, 'q1.jpg'));
    copyFileSync(PHOTO, join(images, 'q9.jpg')); // a new photo: not a failed one
    copyFileSync(join(tmp.dir, 'mask.png'), join(masks, 'q9.png'));
    const retry = vqddm([...a, '--retry-failed', '--json']);
    expect(retry.status).toBe(1); // q9 is not done yet
    expect(JSON.parse(retry.stdout)).toMatchObject({ done: 1, skipped: 7, failed: 0, pending: 1 });
    const started = recordOf(out).filter((l) => l.status === 'started').map((l) => l.item);
    expect(started.filter((x) => x === 'q1.jpg')).toHaveLength(1);
    expect(started.filter((x) => x === 'q0.jpg')).toHaveLength(1); // not run again
    expect(started.filter((x) => x === 'q9.jpg')).toHaveLength(0);
    const rest = vqddm([...a, '--json']);
    expect(JSON.parse(rest.stdout)).toMatchObject({ done: 1, skipped: 8, failed: 0, pending: 0 });
    expect(rest.status).toBe(0);

    // Every photo unreadable: the run stops after 5, the rest left for a rerun.
    for (const f of readdirSync(images)) writeFileSync(join(images, f), 'not a photo');
    const broken = folder('out');
    const s = vqddm(['--images', images, '--masks', masks, '--out', broken, '--methods', 'vqddm', ...BASE, '--json']);
    expect(s.status).toBe(1);
    const summary = JSON.parse(s.stdout);
    expect(summary).toMatchObject({ done: 0, failed: 5, pending: 4 });
    expect(summary.stopped).toMatch(/5 items failed in a row/);
    expect(s.stderr).toMatch(/vqddm: stopped: 5 items failed in a row \(the last: the photo .*q4\.jpg is not a readable image/);
  });

  it('a write the output folder refuses mid-run stops the run cleanly, everything done so far intact; the rerun resumes', async () => {
    const out = folder('out');
    const asNobody = process.getuid?.() === 0;
    const user = asNobody ? { uid: 65534, gid: 65534 } : {};
    if (asNobody) {
      for (const d of [tmp.dir, set.images, set.masks]) chmodSync(d, 0o755);
      chownSync(out, 65534, 65534);
    }
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', ...args(out), '--json'], { ...user, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const record = join(out, 'batch.jsonl');
    await until(() => existsSync(record) && readFileSync(record, 'utf8').includes('"status":"done"'));
    chmodSync(out, 0o555); // as a full disk would: the next file cannot be written
    expect(await exited).toBe(1);
    chmodSync(out, 0o755);
    expect(stderr).toMatch(/vqddm: stopped: cannot write .*\.jpg: permission denied \(EACCES\)\. Everything done so far is intact/);
    const summary = JSON.parse(stdout);
    expect(summary.stopped).toMatch(/^stopped: cannot write/);
    expect(summary.pending).toBeGreaterThan(0);
    const done = recordOf(out).filter((l) => l.status === 'done');
    expect(done.length).toBeGreaterThan(0);
    for (const l of done) expect(readFileSync(join(out, l.outputs[0])).equals(readFileSync(join(clean, l.outputs[0])))).toBe(true);
    const r = vqddm([...args(out), '--json'], user);
    expect(r.status).toBe(0);
    await sameAsClean(out);
  }, 120_000);

  it('a read-only or missing output folder is refused before any fill', () => {
    const out = folder('readonly');
    const asNobody = process.getuid?.() === 0;
    // root writes through permissions: the command runs as nobody then, which can read the inputs and pack.
    if (asNobody) for (const d of [tmp.dir, set.images, set.masks]) chmodSync(d, 0o755);
    chmodSync(out, 0o555);
    const r = vqddm(args(out), asNobody ? { uid: 65534, gid: 65534 } : {});
    expect(r.stderr).toMatch(/^vqddm: error: --out: cannot write in .*readonly-\d+: permission denied \(EACCES\)\n$/);
    expect(r.status).toBe(2);
    expect(readdirSync(out)).toEqual([]);
    const missing = vqddm(args(join(tmp.dir, 'nope')));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--out: the folder .*nope does not exist/);
    expect(statSync(out).mode & 0o777).toBe(0o555);
  });
});

describe('vqddm batch --sheets', () => {
  /** Pixels of `img` darker than `below` (luminance) in [x0, x1) x [y0, y1). */
  const ink = (img: Pixels, x0: number, x1: number, y0: number, y1: number, below: number) => {
    let k = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * img.width + x) * 4;
        if (img.data[i] * 0.299 + img.data[i + 1] * 0.587 + img.data[i + 2] * 0.114 < below) k++;
      }
    }
    return k;
  };
  /** The rightmost column in [x0, x1) x [y0, y1) with a pixel darker than `below`; -1 when none. */
  const inkRight = (img: Pixels, x0: number, x1: number, y0: number, y1: number, below: number) => {
    for (let x = x1 - 1; x >= x0; x--) if (ink(img, x, x + 1, y0, y1, below) > 0) return x;
    return -1;
  };
  /** Mean |difference| of RGB between `tile` (a W x H image) and the sheet's tile at (x0, 16). */
  const tileDiff = (sheet: Pixels, x0: number, tile: Pixels) => {
    let sum = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) sum += Math.abs(sheet.data[((16 + y) * sheet.width + x0 + x) * 4 + c] - tile.data[(y * W + x) * 4 + c]);
      }
    }
    return sum / (W * H * 3);
  };

  it("writes each photo's comparison sheet, <stem>.compare.jpg, in the editor's layout; recorded; a lost one is made again from the record and the files, the same bytes, nothing filled again", async () => {
    const { images, masks } = photosWithMasks(2);
    const out = folder('out');
    const args = ['--images', images, '--masks', masks, '--out', out, '--sheets', ...BASE];
    const r = vqddm(args);
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(out)).toEqual(['batch.json', 'batch.jsonl', 'p0.compare.jpg', 'p0.transformer.jpg', 'p0.vqddm.jpg', 'p1.compare.jpg', 'p1.transformer.jpg', 'p1.vqddm.jpg']);
    const state = latest(recordOf(out));
    expect(state.get('p0.jpg|sheet')).toMatchObject({ status: 'done', outputs: ['p0.compare.jpg'] });
    expect(state.get('p0.jpg|vqddm')).toMatchObject({ stages: ['coarse', 'guided-decoder', 'colour-anchor', 'photo-texture'] });

    // shared/sheet.ts's layout: 16 px pads, a 44 px label band; the 256x192 photo fits a 512 px tile unscaled.
    const sheet = await pixelsOf(join(out, 'p0.compare.jpg'));
    expect([sheet.width, sheet.height]).toEqual([16 + 4 * (W + 16), 16 + H + 44 + 16]);
    const left = (i: number) => 16 + i * (W + 16);
    const [photo, vq, tf] = await Promise.all([pixelsOf(PHOTO), pixelsOf(join(out, 'p0.vqddm.jpg')), pixelsOf(join(out, 'p0.transformer.jpg'))]);
    const maskRgba = { width: W, height: H, data: new Uint8Array(W * H * 4).map((_, i) => (i % 4 === 3 ? 255 : MASK.data[i >> 2])) };
    expect(tileDiff(sheet, left(0), photo)).toBeLessThan(3);
    expect(tileDiff(sheet, left(1), maskRgba)).toBeLessThan(3);
    expect(tileDiff(sheet, left(2), vq)).toBeLessThan(3);
    expect(tileDiff(sheet, left(3), tf)).toBeLessThan(3);
    expect(tileDiff(sheet, left(2), photo)).toBeGreaterThan(tileDiff(sheet, left(2), vq) + 0.2); // the fill shows
    // Labels in the band under the tiles: a dark title under each, a grey line under all but the mask,
    // each result's squeezed to its tile's width; nothing in the pads.
    const band = 16 + H;
    const titleRight = [0, 1, 2, 3].map((i) => inkRight(sheet, left(i), left(i) + W, band + 4, band + 25, 100) - left(i));
    expect(Math.min(...titleRight)).toBeGreaterThan(20);
    expect(titleRight[3]).toBeGreaterThan(titleRight[0]); // "Transformer" is longer than "Original",
    expect(titleRight[0]).toBeGreaterThan(titleRight[1]); // which is longer than "Mask"
    for (const i of [0, 2, 3]) expect(ink(sheet, left(i), left(i) + W, band + 28, band + 42, 170), `tile ${i}`).toBeGreaterThan(10);
    expect(ink(sheet, left(1), left(1) + W, band + 28, band + 44, 220)).toBe(0);
    for (const i of [2, 3]) {
      expect(inkRight(sheet, left(i), left(i) + W, band + 28, band + 42, 200) - left(i)).toBeGreaterThan(W - 12);
      expect(ink(sheet, left(i) + W + 1, left(i) + W + 16, band + 28, band + 44, 235), `the pad after tile ${i}`).toBe(0);
    }
    expect(inkRight(sheet, left(0), left(0) + W, band + 28, band + 42, 200) - left(0)).toBeLessThan(W / 2); // "256×192"
    expect(ink(sheet, 0, sheet.width, 0, 16, 235) + ink(sheet, 0, 16, 0, sheet.height, 235) + ink(sheet, 0, sheet.width, sheet.height - 16, sheet.height, 235)).toBe(0);

    // Lost: made again from the record and the files, the same bytes; the fills are not run again.
    const bytes = readFileSync(join(out, 'p0.compare.jpg'));
    const fills = ['p0.vqddm.jpg', 'p0.transformer.jpg'].map((f) => readFileSync(join(out, f)));
    rmSync(join(out, 'p0.compare.jpg'));
    const again = vqddm([...args, '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ done: 1, skipped: 1 });
    expect(readFileSync(join(out, 'p0.compare.jpg')).equals(bytes)).toBe(true);
    expect(['p0.vqddm.jpg', 'p0.transformer.jpg'].map((f) => readFileSync(join(out, f)).equals(fills.shift()!))).toEqual([true, true]);
    // A fill made again (its file lost) makes its sheet again too.
    rmSync(join(out, 'p1.vqddm.jpg'));
    const third = vqddm(args);
    expect(third.status, third.stderr).toBe(0);
    const lines = recordOf(out).slice(-4);
    expect(lines.map((l) => `${l.item} ${l.method} ${l.status}`)).toEqual(['p1.jpg vqddm started', 'p1.jpg vqddm done', 'p1.jpg sheet started', 'p1.jpg sheet done']);
    expect(lines[3].note).toMatch(/its fills are made again: so is the sheet/);

    // Never written over: a file named like a sheet that no record of the batch wrote stops the run first.
    const other = photosWithMasks(1);
    const taken = folder('out');
    writeFileSync(join(taken, 'p0.compare.jpg'), 'not a sheet of ours');
    const refused = vqddm(['--images', other.images, '--masks', other.masks, '--out', taken, '--sheets', ...BASE]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/p0\.compare\.jpg already exists and no record of this batch wrote it/);
    expect(readFileSync(join(taken, 'p0.compare.jpg'), 'utf8')).toBe('not a sheet of ours');
  });
});

describe('vqddm batch --in-place-suffix', () => {
  const hashes = (dir: string) => new Map(readdirSync(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));

  it('writes the results beside the photos as <stem><S>.<task>.<ext>, every input untouched byte for byte; a rerun resumes and reads no result as a photo or a mask', async () => {
    const images = folder('images');
    for (const name of ['a', 'b']) {
      copyFileSync(PHOTO, join(images, `${name}.jpg`));
      copyFileSync(join(tmp.dir, 'mask.png'), join(images, `${name}_mask.png`));
    }
    const inputs = hashes(images);
    const args = ['--images', images, '--in-place-suffix', '_filled', '--masks-out', '--sheets', '--json', ...BASE];
    const r = vqddm(args);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ done: 2, failed: 0, items: 2, out: images, masks_without_photo: [] });
    const written = ['a.jpg', 'a_filled.compare.jpg', 'a_filled.mask.png', 'a_filled.transformer.jpg', 'a_filled.vqddm.jpg', 'a_mask.png', 'b.jpg', 'b_filled.compare.jpg', 'b_filled.mask.png', 'b_filled.transformer.jpg', 'b_filled.vqddm.jpg', 'b_mask.png', 'batch.json', 'batch.jsonl'];
    expect(filesUnder(images)).toEqual(written);
    const after = hashes(images);
    for (const [name, hash] of inputs) expect(after.get(name), name).toBe(hash);
    expect(latest(recordOf(images)).get('a.jpg|transformer')).toMatchObject({ status: 'done', outputs: ['a_filled.transformer.jpg'] });
    expect(JSON.parse(readFileSync(join(images, 'batch.json'), 'utf8')).output.in_place_suffix).toBe('_filled');

    // The rerun: the same two items, both done; a result is neither a photo nor a mask without a photo.
    const dry = JSON.parse(vqddm([...args, '--dry-run']).stdout);
    expect(dry).toMatchObject({ ready: 0, done: 2, problems: 0, masks_without_photo: [], in_the_way: [] });
    expect(dry.pairs.map((p: { item: string }) => p.item)).toEqual(['a.jpg', 'b.jpg']);
    const again = vqddm(args);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ done: 0, skipped: 2, failed: 0, items: 2, masks_without_photo: [] });
    expect(filesUnder(images)).toEqual(written);
    const results = (m: Map<string, string>) => [...m].filter(([name]) => name !== 'batch.jsonl'); // the record gains its "skipped" lines
    expect(results(hashes(images))).toEqual(results(after));

    // Another suffix in the same folder would take these results for photos: refused.
    const other = vqddm(['--images', images, '--in-place-suffix', '_v2', ...BASE]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds another batch \(in_place_suffix: "_filled" there, "_v2" now\)/);
  });

  it('never writes over a photo: a file beside the photos named like a result stops the run before it starts, untouched', () => {
    const images = folder('images');
    copyFileSync(PHOTO, join(images, 'a.jpg'));
    copyFileSync(join(tmp.dir, 'mask.png'), join(images, 'a_mask.png'));
    copyFileSync(PHOTO, join(images, 'a_x.vqddm.jpg')); // a photo someone named so
    const inputs = hashes(images);
    const r = vqddm(['--images', images, '--out', images, '--in-place-suffix', '_x', '--methods', 'vqddm', ...BASE]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a_x\.vqddm\.jpg already exists and no record of this batch wrote it; nothing is written over/);
    expect(hashes(images)).toEqual(inputs);
  });
});

describe('the batch runner', () => {
  it('pipelines by default (the next photo is read, decoded and planned while the current one samples); pipeline: false plans each only after the one before', async () => {
    const { images, masks } = photosWithMasks(3);
    const engine = await Engine.open(TINY_PACK, 'cpu');
    try {
      /** The order of plan calls and model runs (held 400 ms each) in a three-item batch. */
      const order = async (pipeline: boolean | undefined): Promise<string[]> => {
        const out = folder('out');
        const o: BatchOptions = {
          images, masks, pair: 'stem', out, recursive: false, methods: ['vqddm'], settings: { ...settingsFromOptions({}), steps: 2 }, format: null, quality: null,
          masksOut: false, sheets: false, inPlaceSuffix: null, reference: null, shard: { k: 1, n: 1 }, dryRun: false, retryFailed: false, json: false, report: null, pack: TINY_PACK, device: 'cpu',
        };
        const items = (await pairPhotos({ images, masks, pair: 'stem', recursive: false, skip: [], inPlaceSuffix: null })).items;
        const tag = await prepareOut(o, items);
        const run = await openRun(engine, o, items, tag);
        const events: string[] = [];
        const spy: RunContext['engine'] = {
          manifest: engine.manifest,
          plan: (...a) => (events.push('plan'), engine.plan(...a)),
          run: async (...a) => {
            events.push('run');
            const result = await engine.run(...a);
            await new Promise((r) => setTimeout(r, 400));
            events.push('ran');
            return result;
          },
        };
        const ctx: RunContext = {
          engine: spy, settings: run.settings, out, quality: null, reference: null, log: run.log, state: run.state, tag, shard: '1/1', appVersion: 'test',
          progress: { working: () => undefined, itemFinished: () => undefined }, ...(pipeline === undefined ? {} : { pipeline }),
        };
        const result = await runBatch(ctx, run.plans);
        await run.log.close();
        expect([...result.outcomes.values()]).toEqual(['done', 'done', 'done']);
        return events;
      };
      const pipelined = await order(undefined);
      const nth = (events: string[], what: string, k: number) => events.reduce((at, e, i) => (at.n < k && e === what ? { n: at.n + 1, i } : at), { n: 0, i: -1 }).i;
      expect(pipelined.filter((e) => e === 'plan')).toHaveLength(3);
      expect(nth(pipelined, 'plan', 2)).toBeLessThan(nth(pipelined, 'ran', 1));
      expect(nth(pipelined, 'plan', 3)).toBeLessThan(nth(pipelined, 'ran', 2));
      expect(await order(false)).toEqual(['plan', 'run', 'ran', 'plan', 'run', 'ran', 'plan', 'run', 'ran']);
    } finally {
      await engine.dispose();
    }
  });

  it("runs an item's fills side by side, as one piece of work when the caller joins them (the app: one job of its queue)", async () => {
    const { images, masks } = photosWithMasks(2);
    const engine = await Engine.open(TINY_PACK, 'cpu');
    try {
      const out = folder('out');
      const o: BatchOptions = {
        images, masks, pair: 'stem', out, recursive: false, methods: ['vqddm', 'transformer'], settings: { ...settingsFromOptions({}), steps: 2 }, format: null, quality: null,
        masksOut: true, sheets: true, inPlaceSuffix: null, reference: null, shard: { k: 1, n: 1 }, dryRun: false, retryFailed: false, json: false, report: null, pack: TINY_PACK, device: 'cpu',
      };
      const items = (await pairPhotos({ images, masks, pair: 'stem', recursive: false, skip: [], inPlaceSuffix: null })).items;
      const tag = await prepareOut(o, items);
      const run = await openRun(engine, o, items, tag);
      const events: string[] = [];
      const stop = new AbortController();
      const spy: RunContext['engine'] = {
        manifest: engine.manifest,
        plan: (...a) => engine.plan(...a),
        run: async (plan, method, opts, bases) => {
          events.push(`run ${method}`);
          // each fill is stopped by the joined work's signal
          expect(opts?.signal).toBe(stop.signal);
          const result = await engine.run(plan, method, opts, bases);
          events.push(`ran ${method}`);
          return result;
        },
      };
      const ctx: RunContext = {
        engine: spy, settings: run.settings, out, quality: null, reference: null, log: run.log, state: run.state, tag, shard: '1/1', appVersion: 'test',
        progress: { working: () => undefined, itemFinished: () => undefined },
        together: async (work) => {
          events.push('together');
          const result = await work(stop.signal);
          events.push('apart');
          return result;
        },
      };
      const result = await runBatch(ctx, run.plans);
      await run.log.close();
      expect([...result.outcomes.values()]).toEqual(['done', 'done']);
      // per item: joined, both fills started before either finished (in either order), parted
      expect(events.length).toBe(2 * 6);
      for (const at of [0, 6]) {
        expect(events[at]).toBe('together');
        expect(events.slice(at + 1, at + 3).sort()).toEqual(['run transformer', 'run vqddm']);
        expect(events.slice(at + 3, at + 5).sort()).toEqual(['ran transformer', 'ran vqddm']);
        expect(events[at + 5]).toBe('apart');
      }
      // the mask's export first, the sheet of the fills last, each unit's record in order
      const lines = recordOf(out).filter((l) => l.item === items[0].key);
      const said = lines.map((l) => `${l.method} ${l.status}`);
      expect(said.slice(0, 2)).toEqual(['mask started', 'mask done']);
      expect(said.slice(2, 4).sort()).toEqual(['transformer started', 'vqddm started']);
      expect(said.slice(4, 6).sort()).toEqual(['transformer done', 'vqddm done']);
      expect(said.slice(6)).toEqual(['sheet started', 'sheet done']);
    } finally {
      await engine.dispose();
    }
  });

  it("computes an item's colour anchoring basis once for both its fills, to the pixels each method's own run gives", async () => {
    const { images, masks } = photosWithMasks(2);
    const engine = await Engine.open(TINY_PACK, 'cpu');
    const prepare = vi.spyOn(refinePool, 'prepareBasis');
    try {
      /** The files a batch of `methods` writes, by name, and how many bases it computed ahead. */
      const batch = async (methods: Method[]): Promise<{ files: Map<string, Buffer>; bases: number }> => {
        const out = folder('out');
        const o: BatchOptions = {
          images, masks, pair: 'stem', out, recursive: false, methods, settings: { ...settingsFromOptions({}), steps: 2 }, format: null, quality: null,
          masksOut: false, sheets: false, inPlaceSuffix: null, reference: null, shard: { k: 1, n: 1 }, dryRun: false, retryFailed: false, json: false, report: null, pack: TINY_PACK, device: 'cpu',
        };
        const items = (await pairPhotos({ images, masks, pair: 'stem', recursive: false, skip: [], inPlaceSuffix: null })).items;
        const tag = await prepareOut(o, items);
        const run = await openRun(engine, o, items, tag);
        const ctx: RunContext = {
          engine, settings: run.settings, out, quality: null, reference: null, log: run.log, state: run.state, tag, shard: '1/1', appVersion: 'test',
          progress: { working: () => undefined, itemFinished: () => undefined },
        };
        const before = prepare.mock.calls.length;
        const result = await runBatch(ctx, run.plans);
        await run.log.close();
        expect([...result.outcomes.values()]).toEqual(['done', 'done']);
        const files = new Map(readdirSync(out).filter((f) => /\.(vqddm|transformer)\./.test(f)).map((f) => [f, readFileSync(join(out, f))]));
        return { files, bases: prepare.mock.calls.length - before };
      };
      const both = await batch(['vqddm', 'transformer']);
      expect(both.bases).toBe(2);
      expect(both.files.size).toBe(4);
      for (const method of ['vqddm', 'transformer'] as const) {
        const alone = await batch([method]);
        expect(alone.bases).toBe(0);
        expect(alone.files.size).toBe(2);
        for (const [name, data] of alone.files) expect(data.equals(both.files.get(name)!)).toBe(true);
      }
    } finally {
      prepare.mockRestore();
      await engine.dispose();
    }
  });
});

describe('vqddm batch: progress', () => {
  const sink = () => {
    const s = { text: '', columns: 200, write: (t: string) => ((s.text += t), true) };
    return s;
  };
  it('on a terminal: one line redrawn in place (bar, items, failures, elapsed, time left, the current photo), failures printed above it', () => {
    const out = sink();
    const p = new Progress(2, out as unknown as NodeJS.WriteStream, true);
    p.working('a.jpg (vqddm)');
    expect(out.text).toMatch(/^\r\x1b\[K\[\.{24}\] 0\/2 items, 0 failed, 0:00 elapsed {2}a\.jpg \(vqddm\)$/);
    p.itemFinished('a.jpg', true, 'vqddm 0.20 s');
    expect(out.text).toMatch(/\r\x1b\[K\[#{12}\.{12}\] 1\/2 items, 0 failed, 0:00 elapsed, ~0:00 left$/);
    p.itemFinished('b.jpg', false, 'the photo is broken');
    expect(out.text).toContain('\r\x1b[Kfailed b.jpg: the photo is broken\n');
    p.finish();
    expect(out.text.endsWith('\r\x1b[K2/2 items, 1 failed, 0:00 elapsed, ~0:00 left\n')).toBe(true);
  });
  it('piped: a plain line per item and no control characters', () => {
    const out = sink();
    const p = new Progress(2, out as unknown as NodeJS.WriteStream, false);
    p.working('a.jpg');
    p.itemFinished('a.jpg', true, '');
    p.itemFinished('b.jpg', false, 'broken');
    p.finish();
    expect(out.text).toBe('[1/2] done a.jpg (1/2 items, 0 failed, 0:00 elapsed, ~0:00 left)\n[2/2] FAILED b.jpg: broken (2/2 items, 1 failed, 0:00 elapsed, ~0:00 left)\n');
  });
});

describe('vqddm batch: bad options are one line naming the option, exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no --images', ['--images', ''], /--images is required/],
    ['unknown method', ['--methods', 'vqddm,gan'], /--methods: unknown method "gan"/],
    ['a method twice', ['--methods', 'vqddm,vqddm'], /--methods names a method twice/],
    ['bad shard', ['--shard', '3/2'], /--shard K\/N needs 1 <= K <= N, got "3\/2"/],
    ['shard not K/N', ['--shard', 'two'], /--shard must be K\/N/],
    ['bad format', ['--format', 'gif'], /--format must be png, jpeg or webp, got "gif"/],
    ['quality out of range', ['--quality', '0'], /--quality must be from 1 to 100, got 0/],
    ['samples out of range', ['--samples', '0'], /--samples must be an integer from 1 to 16, got 0/],
    ['steps above the schema', ['--steps', '100000'], /--steps must be an integer from 1 to 10000, got 100000/],
    ["steps above the pack's T", ['--steps', '21'], /--steps must be an integer from 1 to 20 \(the pack's T\), got 21/],
    ['steps not a number', ['--steps', 'ten'], /--steps must be an integer, got "ten"/],
    ['unknown pairing rule', ['--pair', 'name'], /--pair must be one of stem, suffix, single, alpha, got "name"/],
    ['stem without a masks folder', ['--pair', 'stem', '--masks', PHOTO], /--pair stem needs --masks DIR/],
    ['out is the input folder', ['--out', '@images'], /--out is the --images folder .*or add --in-place-suffix S to write them beside the photos\)/],
    ['an empty --in-place-suffix', ['--out', '@images', '--in-place-suffix', ''], /--in-place-suffix may not be empty/],
    ['--in-place-suffix with a path separator', ['--out', '@images', '--in-place-suffix', 'x/y'], /--in-place-suffix may not hold a path separator \(\/ or \\\), got "x\/y"/],
    ['--in-place-suffix with a backslash', ['--out', '@images', '--in-place-suffix', 'x\\y'], /--in-place-suffix may not hold a path separator .*got "x\\y"/],
    ['--in-place-suffix with another --out', ['--in-place-suffix', '_filled'], /--in-place-suffix writes the results beside the photos: leave out --out or make it the --images folder/],
    ['masks folder missing', ['--masks', '/nonexistent/masks'], /--masks: \/nonexistent\/masks does not exist/],
    ['bad report', ['--report', 'xml'], /--report must be csv, got "xml"/],
    ['unknown option', ['--colour', 'red'], /Unknown option '--colour'/],
    ['bad pack', ['--pack', '/nonexistent'], /no readable manifest\.json/],
  ];
  let set: { images: string; masks: string };
  beforeAll(() => {
    set = photosWithMasks(1);
  });
  for (const [name, extra, message] of cases) {
    it(name, () => {
      const out = folder('out');
      const base: Record<string, string> = { '--images': set.images, '--masks': set.masks, '--out': out, '--pack': TINY_PACK, '--steps': '2' };
      for (let i = 0; i < extra.length; i += 2) base[extra[i]] = extra[i + 1] === '@images' ? set.images : extra[i + 1];
      const r = vqddm(Object.entries(base).flat());
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(readdirSync(out)).toEqual([]);
    });
  }

  it('--merge-records takes no run options; `batch --help` prints the usage', () => {
    const r = vqddm(['--merge-records', tmp.dir, '--images', tmp.dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--merge-records takes only --report and --json, got --images/);
    const h = vqddm(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^vqddm batch --images DIR --out DIR/);
    const top = spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), '--help'], { encoding: 'utf8' });
    expect(top.stdout).toContain('vqddm batch --images DIR --out DIR');
  });
});
