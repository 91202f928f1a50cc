/**
 * Pack loading over the serve bridge (issue 8): only the shipped packs and folders under `--packs DIR`,
 * resolved with realpath (a symbolic link out of the folder refused), and no switch while another page
 * is connected (the engine is shared). Also the per-operation message limit on the real WebSocket.
 * The real serve process, no browser.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { apiSocket, startServe, TINY_PACK, type ServeProcess } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'vqddm-packs-'));
const packs = join(dir, 'packs');
let s: ServeProcess;

beforeAll(async () => {
  mkdirSync(packs);
  cpSync(TINY_PACK, join(packs, 'mine'), { recursive: true });
  cpSync(TINY_PACK, join(dir, 'outside'), { recursive: true });
  symlinkSync(join(dir, 'outside'), join(packs, 'escape'));
  s = await startServe(['--pack', TINY_PACK, '--packs', packs]);
});
afterAll(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function client() {
  const ws = apiSocket(s);
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  const waiting = new Map<number, (m: RpcMessage) => void>();
  ws.on('message', (d: Buffer) => {
    const m = decodeFrame<RpcMessage>(new Uint8Array(d));
    if (m.t === 'result') waiting.get(m.id)?.(m);
  });
  let next = 1;
  const send = (frame: (id: number) => Uint8Array) =>
    new Promise<RpcMessage>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(frame(id));
    });
  const call = (op: string, args: unknown[]) => send((id) => encodeFrame({ t: 'call', id, op, args }));
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  return { ws, call, send, close: async () => (ws.close(), await closed) };
}

describe('serve: which packs a page may load', () => {
  it('loads a folder under --packs by its name or full path, and the shipped pack', async () => {
    const c = await client();
    expect(await c.call('loadPack', ['mine'])).toMatchObject({ ok: true, value: { packName: 'tiny', packDir: join(packs, 'mine') } });
    expect(await c.call('loadPack', [join(packs, 'mine')])).toMatchObject({ ok: true, value: { packDir: join(packs, 'mine') } });
    expect(await c.call('loadPack', [TINY_PACK])).toMatchObject({ ok: true, value: { packDir: TINY_PACK } });
    await c.close();
  });

  it('refuses anything else: a link out of the folder, a path outside, .., system folders', async () => {
    const c = await client();
    const rule = `pages may load only folders under ${packs} (serve --packs) and the shipped packs`;
    expect(await c.call('loadPack', ['escape'])).toMatchObject({ ok: false, error: { code: 'BAD_PACK', message: `model pack escape: it leads out of the packs folder through a symbolic link; ${rule}` } });
    expect(await c.call('loadPack', [join(dir, 'outside')])).toMatchObject({ ok: false, error: { code: 'BAD_PACK', message: `model pack ${join(dir, 'outside')}: ${rule}` } });
    expect(await c.call('loadPack', ['../outside'])).toMatchObject({ ok: false, error: { code: 'BAD_PACK', message: `model pack ../outside: ${rule}` } });
    expect(await c.call('loadPack', ['/etc'])).toMatchObject({ ok: false, error: { code: 'BAD_PACK', message: `model pack /etc: ${rule}` } });
    // still on the pack it had
    expect(await c.call('info', [])).toMatchObject({ ok: true, value: { packDir: TINY_PACK } });
    await c.close();
  });

  it("refuses a switch while another page is connected (it would change that page's engine), allows it once alone", async () => {
    const a = await client();
    const b = await client();
    expect(await a.call('loadPack', ['mine'])).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'cannot switch packs while 1 other page is connected to this server: the pack is shared by every page; close the other tabs and try again' },
    });
    expect(await b.call('info', [])).toMatchObject({ ok: true, value: { packDir: TINY_PACK } });
    await b.close();
    expect(await a.call('loadPack', ['mine'])).toMatchObject({ ok: true, value: { packDir: join(packs, 'mine') } });
    await a.close();
  });

  it('an info call of 100 KB is refused by its own limit, naming it; the connection carries on', async () => {
    const c = await client();
    const padded = (id: number) => encodeFrame({ t: 'call', id, op: 'info', args: [], pad: 'x'.repeat(100 * 1024) });
    expect(await c.send(padded)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^info: the message is 100\.\d KiB, above the 64\.0 KiB limit of info$/) } });
    expect(await c.call('info', [])).toMatchObject({ ok: true });
    await c.close();
  });
});
