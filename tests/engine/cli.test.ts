import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../electron/engine/image/codec.js';
import { changedOutside, PHOTO, rectMask, ROOT, tempDir, TINY_PACK } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let maskPath: string;

function vqddm(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), ...args], { encoding: 'utf8' });
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-node.mjs')], { cwd: ROOT });
  const m = rectMask(256, 192, 90, 60, 40, 30);
  maskPath = join(tmp.dir, 'mask.png');
  await sharp(Buffer.from(m.data), { raw: { width: 256, height: 192, channels: 1 } }).png().toFile(maskPath);
});

describe('vqddm CLI', () => {
  it('inpaints with both methods, prints JSON, and leaves unmasked pixels identical', async () => {
    const out = join(tmp.dir, 'filled.png');
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--method', 'both', '--steps', '4', '--pack', TINY_PACK, '--json', '--device', 'cpu');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.files).toEqual([join(tmp.dir, 'filled.vqddm.png'), join(tmp.dir, 'filled.transformer.png')]);
    expect(report.provider).toBe('cpu');
    for (const key of ['encode', 'sample', 'vq_decode', 'composite', 'total', 'model_run']) expect(report.timings.vqddm[key]).toBeGreaterThanOrEqual(0);
    expect(report.timings.image_decode).toBeGreaterThan(0);
    const original = (await decodeImage(readFileSync(PHOTO))).pixels;
    const mask = rectMask(256, 192, 90, 60, 40, 30);
    for (const f of report.files) {
      const filled = (await decodeImage(readFileSync(f))).pixels;
      expect(changedOutside(filled, original, mask)).toBe(0);
    }
  });

  it('same seed, same file; --samples numbers the files', () => {
    const a = join(tmp.dir, 'a.png');
    const b = join(tmp.dir, 'b.png');
    for (const out of [a, b]) expect(vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--steps', '3', '--seed', '9', '--pack', TINY_PACK).status).toBe(0);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', join(tmp.dir, 'many.png'), '--steps', '3', '--samples', '2', '--pack', TINY_PACK);
    expect(r.stdout).toContain('many.1.png');
    expect(r.stdout).toContain('many.2.png');
  });

  it('prints a pack\'s manifest with `info`', () => {
    const r = vqddm('info', '--pack', TINY_PACK);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/codebook\s+K = \d+/);
    expect(r.stdout).toMatch(/sha256 ok/);
  });

  it('prints errors as JSON on stdout too with --json', () => {
    const r = vqddm('inpaint', '--image', join(tmp.dir, 'nope.jpg'), '--mask', maskPath, '--out', join(tmp.dir, 'x.png'), '--pack', TINY_PACK, '--json');
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'IO_ERROR', message: expect.stringMatching(/cannot read image .*nope\.jpg/) } });
  });

  it('refuses an --out that names an input, however spelled, and leaves the inputs as they were', () => {
    const dir = tempDir();
    try {
      const photo = join(dir.dir, 'photo.jpg');
      writeFileSync(photo, readFileSync(PHOTO));
      symlinkSync(photo, join(dir.dir, 'link.jpg'));
      for (const out of [photo, join(dir.dir, '.', 'sub', '..', 'photo.jpg'), join(dir.dir, 'link.jpg'), maskPath]) {
        const r = vqddm('inpaint', '--image', photo, '--mask', maskPath, '--out', out, '--pack', TINY_PACK, '--steps', '2');
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/--out would overwrite the input (image|mask)/);
      }
      expect(readFileSync(photo).equals(readFileSync(PHOTO))).toBe(true);
    } finally {
      dir.cleanup();
    }
  });

  describe('bad input: one line, non-zero exit, no file left behind', () => {
    const cases: [string, () => string[], RegExp][] = [
      ['not an image', () => ['--image', maskPath.replace('mask.png', 'text.png')], /not a readable image/],
      ['truncated file', () => ['--image', join(tmp.dir, 'half.jpg')], /truncated or corrupt/],
      ['1x1 image', () => ['--image', join(tmp.dir, 'dot.png')], /1x1; images must be at least/],
      ['mask of another size', () => ['--mask', join(tmp.dir, 'small-mask.png')], /mask is 20x20 but the image is 256x192 \(pass --resize-mask/],
      ['empty mask', () => ['--mask', join(tmp.dir, 'empty-mask.png')], /nothing to fill/],
      ['unknown method', () => ['--method', 'gan'], /unknown method "gan"/],
      ['steps out of range', () => ['--steps', '100000'], /steps must be an integer from 1 to \d+/],
      ['steps not a number', () => ['--steps', 'ten'], /--steps must be an integer, got "ten"/],
      ['unreadable pack', () => ['--pack', tmp.dir], /no readable manifest\.json/],
      ['missing image file', () => ['--image', join(tmp.dir, 'nope.jpg')], /cannot read image .*nope\.jpg \(ENOENT\)/],
      ['unknown output format', () => ['--out', join(tmp.dir, 'out.gif')], /--out must end in \.png/],
      ['output folder missing', () => ['--out', join(tmp.dir, 'nope', 'out.png')], /the output folder .*nope does not exist/],
      ['a device instead of a file', () => ['--image', '/dev/zero'], /the image \/dev\/zero is not a regular file/],
      ['negative steps', () => ['--steps', '-1'], /steps must be an integer from 1 to \d+ .*got -1/],
    ];
    beforeAll(async () => {
      writeFileSync(join(tmp.dir, 'text.png'), 'this is text');
      const photo = readFileSync(PHOTO);
      writeFileSync(join(tmp.dir, 'half.jpg'), photo.subarray(0, photo.length >> 1));
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toFile(join(tmp.dir, 'dot.png'));
      await sharp({ create: { width: 20, height: 20, channels: 3, background: '#fff' } }).png().toFile(join(tmp.dir, 'small-mask.png'));
      await sharp({ create: { width: 256, height: 192, channels: 3, background: '#000' } }).png().toFile(join(tmp.dir, 'empty-mask.png'));
    });
    for (const [name, args, message] of cases) {
      it(name, () => {
        const dir = tempDir();
        try {
          const base = { '--image': PHOTO, '--mask': maskPath, '--out': join(dir.dir, 'out.png'), '--pack': TINY_PACK, '--steps': '3' } as Record<string, string>;
          const extra = args();
          for (let i = 0; i < extra.length; i += 2) base[extra[i]] = extra[i + 1];
          const r = vqddm('inpaint', ...Object.entries(base).flat());
          expect(r.status).toBe(2);
          expect(r.stderr).toMatch(message);
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(readdirSync(dir.dir)).toEqual([]);
        } finally {
          dir.cleanup();
        }
      });
    }
  });

  it('fills a full mask (unconditional generation)', async () => {
    const full = join(tmp.dir, 'full.png');
    await sharp({ create: { width: 256, height: 192, channels: 3, background: '#fff' } }).png().toFile(full);
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', full, '--out', join(tmp.dir, 'gen.png'), '--steps', '2', '--pack', TINY_PACK);
    expect(r.status).toBe(0);
  });
});
