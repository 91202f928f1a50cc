/**
 * Limits of issue 8 at the engine's edge: pack folders a client may load (realpath, symbolic links out
 * refused, the pack's own files inside it), decodes queued one at a time per process, and each
 * operation's message size.
 */
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { PackAllowList } from '../../electron/engine/packs/allowed.js';
import { loadPack } from '../../electron/engine/packs/load.js';
import { codecSlots } from '../../electron/engine/jobs/limiter.js';
import { createEngineService } from '../../electron/engine/service.js';
import { OPERATIONS, type EngineApi } from '../../electron/shared/operations.js';
import { serveRpc, type RpcChannel, type RpcMessage } from '../../electron/shared/rpc.js';
import { PHOTO, tempDir, TINY_PACK } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('pack folders a client may load', () => {
  const packs = join(tmp.dir, 'packs');
  const outside = join(tmp.dir, 'outside');
  const setup = (async () => {
    mkdirSync(packs);
    cpSync(TINY_PACK, join(packs, 'mine'), { recursive: true });
    cpSync(TINY_PACK, outside, { recursive: true });
    symlinkSync(outside, join(packs, 'link-out')); // a folder under packs/ by name, elsewhere in fact
    symlinkSync(join(packs, 'mine'), join(packs, 'link-in')); // a link that stays inside: fine
    return PackAllowList.create({ root: packs, packs: [TINY_PACK], rule: 'packs come from packs/ and the shipped ones' });
  })();

  it('allows folders under the packs folder (by name or full path) and the listed packs, as real paths', async () => {
    const list = await setup;
    expect(await list.resolve('mine')).toBe(join(packs, 'mine'));
    expect(await list.resolve(join(packs, 'mine'))).toBe(join(packs, 'mine'));
    expect(await list.resolve('link-in')).toBe(join(packs, 'mine'));
    expect(await list.resolve(TINY_PACK)).toBe(TINY_PACK);
  });

  it('refuses everything else, saying why and quoting nothing', async () => {
    const list = await setup;
    const refusal = async (p: string) => (await list.resolve(p).then(() => null, (e: { code: string; message: string }) => e))!;
    expect(await refusal('link-out')).toMatchObject({ code: 'BAD_PACK', message: 'model pack link-out: it leads out of the packs folder through a symbolic link; packs come from packs/ and the shipped ones' });
    expect(await refusal('../outside')).toMatchObject({ code: 'BAD_PACK', message: 'model pack ../outside: packs come from packs/ and the shipped ones' });
    expect(await refusal('/etc')).toMatchObject({ code: 'BAD_PACK', message: 'model pack /etc: packs come from packs/ and the shipped ones' });
    expect(await refusal(packs)).toMatchObject({ code: 'BAD_PACK' }); // the packs folder itself is no pack
    expect(await refusal('nope')).toMatchObject({ code: 'BAD_PACK', message: 'model pack nope: no such folder' });
    expect(await refusal(join(packs, 'mine', 'manifest.json'))).toMatchObject({ code: 'BAD_PACK', message: expect.stringMatching(/not a folder$/) });
  });

  it('a pack whose model file is reached through a sub-folder linked out of the pack is refused by name', async () => {
    const dir = join(tmp.dir, 'sub-link');
    cpSync(TINY_PACK, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, { path: string }> };
    const file = manifest.files.decoder!.path;
    const away = join(tmp.dir, 'away');
    mkdirSync(away);
    renameSync(join(dir, file), join(away, file));
    symlinkSync(away, join(dir, 'sub')); // sub/ -> a folder outside the pack
    manifest.files.decoder!.path = `sub/${file}`;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadPack(dir, 'cpu')).rejects.toMatchObject({ code: 'BAD_PACK', message: `model pack ${dir}: sub/${file} leads out of the pack folder through a symbolic link; a pack's files must be plain files inside its folder` });
  });
});

describe('decodes queued one at a time per process', () => {
  it('three decodes asked at once run one after another, each with its own result', async () => {
    const engine = await createEngineService({ packDir: TINY_PACK, device: 'cpu' });
    try {
      const big = await sharp(PHOTO).resize(2400, 1800).png({ compressionLevel: 1 }).toBuffer();
      const small = readFileSync(PHOTO);
      codecSlots.peak = 0;
      codecSlots.peakQueued = 0;
      const results = await Promise.all([engine.decodeImage(big), engine.decodeImage(small), engine.decodeImage(big)]);
      expect(results.map((r) => [r.width, r.height])).toEqual([[2400, 1800], [256, 192], [2400, 1800]]);
      expect(codecSlots.peak).toBe(1);
      expect(codecSlots.peakQueued).toBe(2);
    } finally {
      await engine.dispose();
    }
  });
});

describe('message bytes per operation', () => {
  function channelWithSizes() {
    let handler: ((m: unknown, bytes?: number) => void) | null = null;
    const sent: RpcMessage[] = [];
    const ch: RpcChannel = { send: (m) => sent.push(m), onMessage: (l) => (handler = l), onClose: () => undefined, close: () => undefined };
    return { ch, sent, deliver: (m: unknown, bytes: number) => handler!(m, bytes) };
  }
  const called: string[] = [];
  const engine = new Proxy({}, { get: (_t, op: string) => (/^on[A-Z]/.test(op) ? () => () => undefined : async () => void called.push(op)) }) as EngineApi;

  it('a message above its operation\'s limit is refused with that limit named, before it is checked or run', async () => {
    const c = channelWithSizes();
    serveRpc(engine, c.ch, 'x');
    c.deliver({ t: 'call', id: 1, op: 'info', args: [] }, 100 * 1024);
    c.deliver({ t: 'call', id: 2, op: 'fill', args: [] }, OPERATIONS.fill.maxBytes + 1);
    c.deliver({ t: 'call', id: 3, op: 'decodeImage', args: [new Uint8Array(1)] }, 600 * 1024 * 1024);
    c.deliver({ t: 'call', id: 4, op: 'info', args: [] }, 200);
    await new Promise((r) => setTimeout(r, 0));
    expect(c.sent).toEqual([
      { t: 'result', id: 1, ok: false, error: { code: 'BAD_REQUEST', message: 'info: the message is 100.0 KiB, above the 64.0 KiB limit of info' } },
      { t: 'result', id: 2, ok: false, error: { code: 'IMAGE_TOO_LARGE', message: `fill: the message is ${((OPERATIONS.fill.maxBytes + 1) / 2 ** 20).toFixed(1)} MiB, above the ${(OPERATIONS.fill.maxBytes / 2 ** 20).toFixed(1)} MiB limit of fill` } },
      { t: 'result', id: 3, ok: false, error: { code: 'IMAGE_TOO_LARGE', message: 'decodeImage: the message is 600.0 MiB, above the 512.0 MiB limit of decodeImage' } },
      { t: 'result', id: 4, ok: true, value: null },
    ]);
    expect(called).toEqual(['info']);
  });
});
