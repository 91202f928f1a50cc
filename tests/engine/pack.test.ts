import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { HashCache } from '../../electron/engine/packs/hashCache.js';
import { readManifest, verifyFiles } from '../../electron/engine/packs/load.js';
import { CONTRACT, OPTIONAL_ROLES, parseManifest, ROLES } from '../../electron/engine/packs/manifest.js';
import { copyOfTinyPack, ROOT, tempDir, TINY_PACK } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

/** The tiny pack's manifest as plain JSON, to break in a test. */
function tinyManifest(): Record<string, any> {
  return JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8'));
}

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

  it("names a declared tensor that is not the contract's", async () => {
    const dir = brokenPack((_d, m) => {
      m.files.encoder.inputs[0].name = 'pixels';
    });
    await expect(Engine.open(dir)).rejects.toThrow(/encoder.*"image"|encoder graph has no input named "pixels"/);
  });

  it("names a declared dtype that is not the contract's", async () => {
    const dir = brokenPack((_d, m) => {
      m.files.diffusion.inputs.find((t: { name: string }) => t.name === 't').dtype = 'float32';
    });
    await expect(Engine.open(dir)).rejects.toThrow(/diffusion.*"t"/);
  });

  it('names every out-of-range manifest field', () => {
    const manifest = tinyManifest();
    manifest.diffusion.T = 0;
    manifest.latent.codebook_size = 1;
    expect(() => parseManifest(manifest)).toThrow(/\/diffusion\/T must be >= 1, got 0/);
    expect(() => parseManifest(manifest)).toThrow(/\/latent\/codebook_size must be >= 2, got 1/);
  });

  it('refuses file paths that leave the pack', () => {
    const manifest = tinyManifest();
    manifest.files.encoder.path = '../../etc/passwd';
    expect(() => parseManifest(manifest)).toThrow(/\/files\/encoder\/path must be a plain file name inside the pack/);
  });

  it('refuses a manifest with a field of the wrong type, naming the file and the field', async () => {
    const dir = brokenPack((_d, m) => {
      m.latent.grid = '16';
    });
    const err = await Engine.open(dir).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'BAD_PACK' });
    expect((err as Error).message).toContain('manifest.json: /latent/grid must be integer, got "16"');
  });

  it('names missing, unknown and wrongly typed fields, each by its JSON pointer', () => {
    const manifest = tinyManifest();
    delete manifest.diffusion.T;
    manifest.latent.gird = 16;
    manifest.diffusion.schedule.sqrt_alpha = 'yes';
    manifest.format_version = 3;
    const err = (() => {
      try {
        parseManifest(manifest);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message.split('; ').sort()).toEqual([
      '/diffusion/T is missing',
      '/diffusion/schedule/sqrt_alpha must be boolean, got "yes"',
      '/format_version must be 2, got 3',
      '/latent/gird is not a field of format_version 2',
    ]);
  });

  it('says what to do with a pack of the earlier format 1 (its transformer took and returned its whole KV cache)', () => {
    const manifest = tinyManifest();
    manifest.format_version = 1;
    expect(() => parseManifest(manifest)).toThrow(
      /^\/format_version is 1, an earlier pack format .* this engine reads format_version 2: export the pack again \(python3 -m models\.training\.export, or --upgrade --transformer CKPT on the pack\)$/,
    );
  });

  it("checks each role's declared tensors against the contract, naming the tensor", () => {
    const dtype = tinyManifest();
    dtype.files.diffusion.inputs[1].dtype = 'float32';
    expect(() => parseManifest(dtype)).toThrow('/files/diffusion/inputs/1/dtype must be "int64", got "float32" (diffusion input "t")');
    const rank = tinyManifest();
    rank.files.encoder.inputs[0].shape.pop();
    expect(() => parseManifest(rank)).toThrow('/files/encoder/inputs/0/shape must NOT have fewer than 4 items, got ["B",3,"4H"] (encoder input "image")');
    const missing = tinyManifest();
    missing.files.transformer.outputs.pop();
    expect(() => parseManifest(missing)).toThrow('/files/transformer/outputs must NOT have fewer than 2 items');
    const guided = tinyManifest();
    guided.files.guided_decoder.inputs[2].name = 'masks';
    expect(() => parseManifest(guided)).toThrow('/files/guided_decoder/inputs/2/name must be "mask", got "masks" (guided_decoder input "mask")');
  });

  it('checks sizes the manifest fixes (K, layers, heads, head_dim) and the fields that must agree', () => {
    const manifest = tinyManifest();
    manifest.files.diffusion.outputs[0].shape[3] = 63;
    manifest.files.transformer.inputs[2].shape[0] = 3;
    manifest.transformer.start_token = 0;
    expect(() => parseManifest(manifest)).toThrow(
      '/transformer/start_token must equal /latent/codebook_size (64), got 0; ' +
        '/files/diffusion/outputs/0/shape/3 must equal /latent/codebook_size (64), got 63 (diffusion output "log_p0"); ' +
        '/files/transformer/inputs/2/shape/0 must equal /transformer/layers (2), got 3 (transformer input "cache")',
    );
    const context = tinyManifest();
    context.transformer.context = 256;
    context.diffusion.default_steps = 21;
    expect(() => parseManifest(context)).toThrow('/diffusion/default_steps must be at most /diffusion/T (20), got 21; /transformer/context must be /latent/grid^2 + 1 (257), got 256');
  });

  it("reads the pack's sampling defaults, the schema's where it states none, and refuses them out of range", () => {
    expect(parseManifest(tinyManifest()).defaults).toEqual({ steps: 10, truncation: 1, topK: 100 });
    const stated = tinyManifest();
    stated.diffusion.default_truncation = 0.3;
    stated.transformer.default_top_k = 5;
    expect(parseManifest(stated).defaults).toEqual({ steps: 10, truncation: 0.3, topK: 5 });
    const bad = tinyManifest();
    bad.diffusion.default_truncation = 0;
    bad.transformer.default_top_k = 2.5;
    expect(() => parseManifest(bad)).toThrow('/diffusion/default_truncation must be >= 0.05, got 0; /transformer/default_top_k must be integer, got 2.5');
  });

  it('checks each ONNX graph against the tensors its manifest declares', async () => {
    const dir = brokenPack((d, m) => {
      m.files.encoder = { ...m.files.decoder, inputs: m.files.encoder.inputs, outputs: m.files.encoder.outputs };
    });
    await expect(Engine.open(dir, 'cpu')).rejects.toThrow(/encoder graph has no input named "image" \(it has codes\)/);
  });

  it('takes the roles and their tensors from models/pack.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'models', 'pack.schema.json'), 'utf8'));
    expect(ROLES).toEqual(schema.properties.files.required);
    expect([...ROLES, ...OPTIONAL_ROLES].sort()).toEqual(Object.keys(schema.properties.files.properties).sort());
    expect(CONTRACT.diffusion.outputs).toEqual([{ name: 'log_p0', dtype: 'float32', shape: ['B', 'H', 'W', 'K'] }]);
    expect(CONTRACT.transformer.inputs.map((t) => t.shape)).toEqual([['B', 'N'], [], ['L', 2, 'B', 'heads', 'C', 'head_dim']]);
    expect(CONTRACT.guided_decoder.inputs.map((t) => t.name)).toEqual(['codes', 'known', 'mask']);
    for (const pack of ['default', 'tiny']) expect(parseManifest(JSON.parse(readFileSync(join(ROOT, 'models', pack, 'manifest.json'), 'utf8'))).name).toBe(pack);
  });
});
