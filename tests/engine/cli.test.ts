import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaskImage } from '../../electron/shared/contract.js';
import { decodeImage } from '../../electron/engine/image/codec.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { changedOutside, copyOfTinyPack, PHOTO, rectMask, ROOT, tempDir, TINY_PACK } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let maskPath: string;
const MASK = rectMask(256, 192, 90, 60, 40, 30);
const manifest = JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8')) as {
  name: string;
  latent: { grids: number[]; codebook_size: number };
  files: Record<string, { path: string; sha256: string }>;
};

function vqddm(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), ...args], { encoding: 'utf8' });
}

async function pixelsOf(path: string): Promise<Pixels> {
  return (await decodeImage(readFileSync(path))).pixels;
}

/** Masked pixels whose RGB differs between two images of the same size. */
function changedInside(a: Pixels, b: Pixels, mask: MaskImage): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] < 128) continue;
    if (a.data[i * 4] !== b.data[i * 4] || a.data[i * 4 + 1] !== b.data[i * 4 + 1] || a.data[i * 4 + 2] !== b.data[i * 4 + 2]) n++;
  }
  return n;
}

const maskedPixels = (mask: MaskImage) => mask.data.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-node.mjs')], { cwd: ROOT });
  maskPath = join(tmp.dir, 'mask.png');
  await sharp(Buffer.from(MASK.data), { raw: { width: 256, height: 192, channels: 1 } }).png().toFile(maskPath);
});

describe('vqddm CLI', () => {
  it('inpaints with both methods: one file each, the photo with its mask repainted, and a JSON report of what ran', async () => {
    const out = join(tmp.dir, 'filled.png');
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--method', 'both', '--steps', '4', '--pack', TINY_PACK, '--json', '--device', 'cpu');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.files).toEqual([join(tmp.dir, 'filled.vqddm.png'), join(tmp.dir, 'filled.transformer.png')]);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('filled'))).toEqual(['filled.transformer.png', 'filled.vqddm.png']); // nothing else, no temporaries
    expect(report.provider).toBe('cpu');
    expect(report.pack).toBe(TINY_PACK);
    expect(report.settings).toMatchObject({ methods: ['vqddm', 'transformer'], steps: 4, samples: 1, seed: 1, guidedDecoder: true, anchorColours: true, photoTexture: true });
    for (const method of ['vqddm', 'transformer']) {
      const t = report.timings[method];
      // The tiny pack has a guided decoder: every refinement stage ran, and the report says so.
      expect(t.stages, method).toEqual(['coarse', 'guided-decoder', 'colour-anchor', 'photo-texture']);
      expect(t.grids.length, method).toBeGreaterThan(0);
      for (const g of t.grids) expect(manifest.latent.grids).toContain(g);
      // VQ-DDM: one batched model call per step per tile; the transformer: at least one per tile.
      if (method === 'vqddm') expect(t.model_calls).toBe(4 * t.grids.length);
      else expect(t.model_calls).toBeGreaterThanOrEqual(t.grids.length);
      // Times in ms: the stages are parts of the method's total, the models' time is part of it too.
      expect(t.total, method).toBeGreaterThan(0);
      expect(t.sample, method).toBeGreaterThan(0);
      expect(t.model_run, method).toBeGreaterThan(0);
      expect(t.model_run, method).toBeLessThanOrEqual(t.total);
      const parts = ['encode', 'sample', 'vq_decode', 'composite', 'anchor', 'texture'].map((k) => t[k] as number);
      for (const v of parts) expect(Number.isFinite(v) && v >= 0, method).toBe(true);
      expect(parts.reduce((a, b) => a + b, 0), method).toBeLessThanOrEqual(t.total + 1);
    }
    expect(report.timings.image_decode).toBeGreaterThan(0);
    // the methods run together (one's refinement beside the other's model stages): the whole takes at least the longer
    expect(report.timings.total).toBeGreaterThanOrEqual(Math.max(report.timings.vqddm.total, report.timings.transformer.total));
    // The files: the photo's size, every unmasked pixel as it was, most masked ones repainted, and the two
    // methods' fills different.
    const original = await pixelsOf(PHOTO);
    const filled = await Promise.all(report.files.map((f: string) => pixelsOf(f)));
    for (const f of filled) {
      expect([f.width, f.height]).toEqual([256, 192]);
      expect(changedOutside(f, original, MASK)).toBe(0);
      expect(changedInside(f, original, MASK), 'masked pixels repainted').toBeGreaterThan(maskedPixels(MASK) / 2);
    }
    expect(changedInside(filled[0], filled[1], MASK), 'masked pixels that differ between the methods').toBeGreaterThan(maskedPixels(MASK) / 2);
  });

  it('same seed, same file; another seed, another fill; --samples writes one numbered file per sample', async () => {
    const a = join(tmp.dir, 'a.png');
    const b = join(tmp.dir, 'b.png');
    const c = join(tmp.dir, 'c.png');
    for (const [out, seed] of [[a, '9'], [b, '9'], [c, '10']]) {
      const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', out, '--steps', '3', '--seed', seed, '--pack', TINY_PACK);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`wrote ${out}\n`);
    }
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const [pa, pc] = await Promise.all([pixelsOf(a), pixelsOf(c)]);
    expect(changedOutside(pa, pc, MASK)).toBe(0);
    expect(changedInside(pa, pc, MASK), 'masked pixels that differ between seeds 9 and 10').toBeGreaterThan(maskedPixels(MASK) / 2);

    const many = join(tmp.dir, 'many.png');
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', maskPath, '--out', many, '--steps', '3', '--samples', '2', '--pack', TINY_PACK);
    expect(r.stderr).toBe('');
    const files = [join(tmp.dir, 'many.1.png'), join(tmp.dir, 'many.2.png')];
    expect(r.stdout).toBe(files.map((f) => `wrote ${f}\n`).join(''));
    expect(existsSync(many)).toBe(false);
    const [s1, s2] = await Promise.all(files.map(pixelsOf));
    // Two samples (seeds 1 and 2): two different fills of the same mask.
    expect(changedOutside(s1, s2, MASK)).toBe(0);
    expect(changedInside(s1, s2, MASK), 'masked pixels that differ between sample 1 and sample 2').toBeGreaterThan(maskedPixels(MASK) / 2);
  });

  it('switches the refinement stages off with --no-guided --no-anchor --no-texture: the raw fill, reported as such', async () => {
    const raw = join(tmp.dir, 'raw.png');
    const refined = join(tmp.dir, 'refined.png');
    const common = ['inpaint', '--image', PHOTO, '--mask', maskPath, '--steps', '3', '--seed', '9', '--pack', TINY_PACK, '--json'];
    const r = vqddm(...common, '--out', raw, '--no-guided', '--no-anchor', '--no-texture');
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.settings).toMatchObject({ guidedDecoder: false, anchorColours: false, photoTexture: false });
    expect(report.timings.vqddm.stages).toEqual(['coarse']);
    expect(JSON.parse(vqddm(...common, '--out', refined).stdout).timings.vqddm.stages).toEqual(['coarse', 'guided-decoder', 'colour-anchor', 'photo-texture']);
    const [rawPixels, refinedPixels, original] = await Promise.all([pixelsOf(raw), pixelsOf(refined), pixelsOf(PHOTO)]);
    expect(changedOutside(rawPixels, original, MASK)).toBe(0);
    expect(changedInside(rawPixels, original, MASK), 'masked pixels repainted').toBeGreaterThan(maskedPixels(MASK) / 2);
    // same seed, same codes: the stages made the difference
    expect(changedInside(rawPixels, refinedPixels, MASK), 'masked pixels that differ with the stages on').toBeGreaterThan(maskedPixels(MASK) / 2);
  });

  it('lays the photo texture on at --texture-strength: none at 0 (the fill with it off), part of it between', async () => {
    const out = (name: string) => join(tmp.dir, `${name}.png`);
    const common = ['inpaint', '--image', PHOTO, '--mask', maskPath, '--steps', '3', '--seed', '9', '--pack', TINY_PACK, '--method', 'vqddm', '--json', '--overwrite'];
    const run = (name: string, ...flags: string[]) => {
      const r = vqddm(...common, '--out', out(name), ...flags);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { settings: { textureStrength: number }; timings: { vqddm: { stages: string[] } } };
    };
    const none = run('strength0', '--texture-strength', '0');
    expect(none.settings.textureStrength).toBe(0);
    expect(none.timings.vqddm.stages).not.toContain('photo-texture');
    run('textureOff', '--no-texture');
    const half = run('strength05', '--texture-strength', '0.5');
    expect(half.timings.vqddm.stages).toContain('photo-texture');
    run('strength1', '--texture-strength', '1');
    const [s0, off, s05, s1] = await Promise.all(['strength0', 'textureOff', 'strength05', 'strength1'].map((n) => pixelsOf(out(n))));
    expect(changedInside(s0, off, MASK)).toBe(0);
    // halfway: every masked pixel within a level of the midpoint of the two ends (the same copies, seed 9)
    let worst = 0;
    for (let i = 0; i < MASK.data.length; i++) {
      if (MASK.data[i] < 128) continue;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(s05.data[i * 4 + c] - (off.data[i * 4 + c] + s1.data[i * 4 + c]) / 2));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(changedInside(s05, s1, MASK), 'masked pixels that differ from the full texture').toBeGreaterThan(maskedPixels(MASK) / 4);
  });

  it("samples with the pack's own defaults for what is not given, and with what is given", () => {
    const copy = copyOfTinyPack();
    try {
      const m = JSON.parse(readFileSync(join(copy.dir, 'manifest.json'), 'utf8'));
      m.diffusion.default_steps = 3;
      m.diffusion.default_truncation = 0.6;
      m.transformer.default_top_k = 7;
      writeFileSync(join(copy.dir, 'manifest.json'), JSON.stringify(m));
      const common = ['inpaint', '--image', PHOTO, '--mask', maskPath, '--method', 'both', '--pack', copy.dir, '--json', '--overwrite', '--no-texture'];
      const packs = JSON.parse(vqddm(...common, '--out', join(tmp.dir, 'pack-defaults.png')).stdout);
      expect(packs.settings).toMatchObject({ steps: 3, truncation: 0.6, topK: 7, temperature: 1 });
      const given = JSON.parse(vqddm(...common, '--out', join(tmp.dir, 'pack-defaults.png'), '--top-k', '20', '--truncation', '1').stdout);
      expect(given.settings).toMatchObject({ steps: 3, truncation: 1, topK: 20 });
      expect(vqddm('info', '--pack', copy.dir).stdout).toMatch(/default steps 3, truncation 0\.6[\s\S]*default top-k 7/);
    } finally {
      copy.cleanup();
    }
  });

  it("prints a pack's manifest with `info`: its name, codebook and every file, checked", () => {
    const r = vqddm('info', '--pack', TINY_PACK);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`pack        ${manifest.name} (${TINY_PACK})`);
    expect(lines).toContain(`codebook    K = ${manifest.latent.codebook_size}`);
    const fileLines = lines.filter((l) => l.startsWith('file '));
    expect(fileLines).toHaveLength(Object.keys(manifest.files).length);
    for (const [role, f] of Object.entries(manifest.files)) expect(fileLines).toContain(`file        ${role.padEnd(11)} ${f.path}  sha256 ok, inputs/outputs ok`);

    const json = vqddm('info', '--pack', TINY_PACK, '--json');
    const info = JSON.parse(json.stdout);
    expect(info).toMatchObject({ packName: manifest.name, packDir: TINY_PACK, codebookSize: manifest.latent.codebook_size, grids: manifest.latent.grids });
    expect(info.files).toEqual(Object.fromEntries(Object.entries(manifest.files).map(([role, f]) => [role, { path: f.path, sha256: f.sha256, ok: true }])));
  });

  it('`info` on a pack with a corrupted graph names the file and exits non-zero, printing no summary', () => {
    const copy = copyOfTinyPack();
    try {
      const file = join(copy.dir, manifest.files.decoder.path);
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(file, bytes);
      const r = vqddm('info', '--pack', copy.dir);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^vqddm: error: .*decoder file ${manifest.files.decoder.path.replace('.', '\\.')} fails its checksum`));
    } finally {
      copy.cleanup();
    }
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
      ['texture strength out of range', () => ['--texture-strength', '1.5'], /texture-strength must be a number from 0 to 1, got 1\.5/],
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

  it('fills a full mask (unconditional generation): a new image of the photo\'s size', async () => {
    const full = join(tmp.dir, 'full.png');
    await sharp({ create: { width: 256, height: 192, channels: 3, background: '#fff' } }).png().toFile(full);
    const gen = join(tmp.dir, 'gen.png');
    const r = vqddm('inpaint', '--image', PHOTO, '--mask', full, '--out', gen, '--steps', '2', '--pack', TINY_PACK);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`wrote ${gen}\n`);
    const [out, original] = await Promise.all([pixelsOf(gen), pixelsOf(PHOTO)]);
    expect([out.width, out.height]).toEqual([256, 192]);
    const all = rectMask(256, 192, 0, 0, 256, 192);
    expect(changedInside(out, original, all), 'pixels generated').toBeGreaterThan(0.9 * 256 * 192);
  });
});
