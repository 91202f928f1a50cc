import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { HashCache } from '../../electron/engine/packs/hashCache.js';
import { readManifest, verifyFiles } from '../../electron/engine/packs/load.js';
import { parseManifest } from '../../electron/engine/packs/manifest.js';
import { copyOfTinyPack, tempDir, TINY_PACK } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function brokenPack(edit: (dir: string, manifest: Record<string, any>) => void): string {
  const copy = copyOfTinyPack();
  cleanups.push(copy.cleanup);
  const path = join(copy.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  edit(copy.dir, manifest);
  writeFileSync(path, JSON.stringify(manifest));
  return copy.dir;
}

describe('model packs', () => {
  it('loads the tiny pack and reports what it declares', async () => {
    const engine = await Engine.open(TINY_PACK, 'cpu');
    const info = engine.info();
    expect(info.provider).toBe('cpu');
    expect(info.grid).toBe(16);
    expect(info.grids).toContain(16);
    expect(info.T).toBeGreaterThan(1);
    await engine.dispose();
  });

  it('hashes a pack once, then only files that changed (by size, mtime or inode)', async () => {
    const copy = copyOfTinyPack();
    const cache = tempDir();
    cleanups.push(copy.cleanup, cache.cleanup);
    const manifest = await readManifest(copy.dir);
    const files = Object.keys(manifest.files).length;
    expect(await verifyFiles(copy.dir, manifest, await HashCache.open(cache.dir))).toBe(files);
    expect(await verifyFiles(copy.dir, manifest, await HashCache.open(cache.dir))).toBe(0); // remembered on disk
    const path = join(copy.dir, manifest.files.decoder.path);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 1; // same size, other content
    const { mtime } = statSync(path);
    writeFileSync(path, bytes);
    utimesSync(path, mtime, new Date(mtime.getTime() + 2000));
    await expect(verifyFiles(copy.dir, manifest, await HashCache.open(cache.dir))).rejects.toThrow(/decoder file decoder\.onnx fails its checksum/);
  });

  it('names a missing folder or manifest', async () => {
    await expect(Engine.open('/nonexistent/pack')).rejects.toThrow(/no readable manifest\.json/);
  });

  it('refuses symbolic links and special files in a pack, and never quotes what they point to', async () => {
    const secret = tempDir();
    cleanups.push(secret.cleanup);
    writeFileSync(join(secret.dir, 'passwd'), 'root:x:0:0:secret-line');
    const linked = copyOfTinyPack();
    cleanups.push(linked.cleanup);
    rmSync(join(linked.dir, 'manifest.json'));
    symlinkSync(join(secret.dir, 'passwd'), join(linked.dir, 'manifest.json'));
    const err = await Engine.open(linked.dir).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'BAD_PACK', message: expect.stringMatching(/manifest\.json is a symbolic link/) });
    expect((err as Error).message).not.toContain('root:x');
    const outside = copyOfTinyPack();
    cleanups.push(outside.cleanup);
    const decoder = join(outside.dir, 'decoder.onnx');
    writeFileSync(join(secret.dir, 'decoder.onnx'), readFileSync(decoder));
    rmSync(decoder);
    symlinkSync(join(secret.dir, 'decoder.onnx'), decoder);
    await expect(Engine.open(outside.dir)).rejects.toThrow(/decoder\.onnx is a symbolic link/);
    const fifo = copyOfTinyPack();
    cleanups.push(fifo.cleanup);
    rmSync(join(fifo.dir, 'manifest.json'));
    execFileSync('mkfifo', [join(fifo.dir, 'manifest.json')]);
    await expect(Engine.open(fifo.dir)).rejects.toThrow(/manifest\.json is not a regular file/);
  });

  it('names a manifest that is not JSON, without quoting it', async () => {
    const copy = copyOfTinyPack();
    cleanups.push(copy.cleanup);
    writeFileSync(join(copy.dir, 'manifest.json'), 'private words, not json');
    const err = await Engine.open(copy.dir).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'BAD_PACK', message: expect.stringMatching(/manifest\.json is not valid JSON$/) });
    expect((err as Error).message).not.toContain('private');
  });

  it('names a missing file', async () => {
    const dir = brokenPack((d, m) => rmSync(join(d, m.files.decoder.path)));
    await expect(Engine.open(dir)).rejects.toThrow(/decoder file .* is missing/);
  });

  it('names a checksum mismatch', async () => {
    const dir = brokenPack((_d, m) => {
      m.files.diffusion.sha256 = '0'.repeat(64);
    });
    await expect(Engine.open(dir)).rejects.toThrow(/diffusion file .* fails its checksum/);
  });

  it('names a tensor the graph does not have', async () => {
    const dir = brokenPack((_d, m) => {
      m.files.encoder.inputs[0].name = 'pixels';
    });
    await expect(Engine.open(dir)).rejects.toThrow(/encoder.*"image"|encoder graph has no input named "pixels"/);
  });

  it('names a dtype that disagrees with the graph', async () => {
    const dir = brokenPack((_d, m) => {
      m.files.diffusion.inputs.find((t: { name: string }) => t.name === 't').dtype = 'float32';
    });
    await expect(Engine.open(dir)).rejects.toThrow(/diffusion.*"t"/);
  });

  it('names every out-of-range manifest field', () => {
    const manifest = JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8'));
    manifest.diffusion.T = 0;
    manifest.latent.codebook_size = 1;
    expect(() => parseManifest(manifest)).toThrow(/diffusion\.T must be an integer from 1 to 100000, got 0/);
    expect(() => parseManifest(manifest)).toThrow(/latent\.codebook_size must be an integer from 2 to 65536, got 1/);
  });

  it('refuses file paths that leave the pack', () => {
    const manifest = JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8'));
    manifest.files.encoder.path = '../../etc/passwd';
    expect(() => parseManifest(manifest)).toThrow(/plain file name inside the pack/);
  });
});
