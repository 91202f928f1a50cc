/**
 * The bytes one serve connection may make the server hold (electron/serve/limits.ts): calls awaiting
 * replies, and replies it has not taken. The real server code in this process, with small limits and an
 * engine double whose calls wait until released, driven by raw `ws` clients: one that floods calls, one
 * that never reads. No Chromium, no built bundle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PackAllowList } from '../../electron/engine/packs/allowed.js';
import { SERVE_MAX_PENDING_BYTES, SERVE_MAX_UNSENT_BYTES } from '../../electron/serve/limits.js';
import { startServe, type ServeHandle } from '../../electron/serve/server.js';
import { largestMessage, type EngineApi } from '../../electron/shared/operations.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { SERVE_WS_PATH, serveProtocols } from '../../electron/shared/serveProtocol.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';

const KiB = 1024, MiB = 1024 * KiB;
const LIMITS = { pendingBytes: 1 * MiB, unsentBytes: 4 * MiB };
/** The size of each `info` reply of the double: big enough to fill a reader's queue in a few calls. */
const REPLY = 1 * MiB;

/** decodeImage waits until released; info answers at once with REPLY bytes. */
const held: (() => void)[] = [];
let decodes = 0;
const engine = {
  onJobEvent: () => () => undefined,
  onBatchEvent: () => () => undefined,
  decodeImage: () => {
    decodes++;
    return new Promise((resolve) => held.push(() => resolve({ width: 1, height: 1, data: new Uint8Array(4) })));
  },
  info: () => ({ filler: new Uint8Array(REPLY) }),
} as unknown as EngineApi;

const dir = mkdtempSync(join(tmpdir(), 'vqddm-limits-'));
let server: ServeHandle;
beforeAll(async () => {
  const packs = await PackAllowList.create({ root: dir, rule: 'test' });
  server = await startServe({ engine, rendererDir: dir, packs, limits: LIMITS });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ ws: WebSocket; replies: RpcMessage[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${SERVE_WS_PATH}`, serveProtocols(server.token), { headers: { origin: `http://127.0.0.1:${server.port}` } });
  const replies: RpcMessage[] = [];
  ws.on('message', (d: Buffer) => replies.push(decodeFrame<RpcMessage>(new Uint8Array(d))));
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return { ws, replies };
}

const decodeCall = (id: number) => encodeFrame({ t: 'call', id, op: 'decodeImage', args: [new Uint8Array(300 * KiB)] });
const result = (replies: RpcMessage[], id: number) => replies.find((m) => m.t === 'result' && m.id === id);

describe('serve limits per connection', () => {
  it('the limits let one call of the largest size, and its reply, through', () => {
    expect(SERVE_MAX_PENDING_BYTES).toBeGreaterThanOrEqual(largestMessage());
    expect(SERVE_MAX_UNSENT_BYTES).toBeGreaterThanOrEqual(100_000_000 * 4); // a 100 MP photo's RGBA
  });

  it('a flood of calls: past the bytes awaiting replies each call is refused, naming the limit, and never reaches the engine', async () => {
    const { ws, replies } = await open();
    decodes = 0;
    for (let id = 1; id <= 40; id++) ws.send(decodeCall(id)); // 300 KiB each: three fit under 1 MiB
    ws.send(encodeFrame({ t: 'call', id: 41, op: 'info', args: [] })); // a small call still fits beside them
    await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(38);
    expect(decodes).toBe(3);
    for (let id = 4; id <= 40; id++) {
      expect(result(replies, id)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^decodeImage: refused: .*limit of 1\.0 MiB per connection \(SERVE_MAX_PENDING_BYTES\)/) } });
    }
    expect(result(replies, 41)).toMatchObject({ ok: true });
    // Answered calls no longer count: once the engine replies, calls are taken in again.
    for (const release of held.splice(0)) release();
    await expect.poll(() => [1, 2, 3].every((id) => result(replies, id)?.t === 'result'), { timeout: 10_000 }).toBe(true);
    ws.send(decodeCall(42));
    await expect.poll(() => decodes, { timeout: 10_000 }).toBe(4);
    expect(result(replies, 42)).toBeUndefined();
    for (const release of held.splice(0)) release();
    await expect.poll(() => result(replies, 42), { timeout: 10_000 }).toMatchObject({ ok: true });
    ws.close();
  });

  it('a client that reads its replies gets them all, however many', async () => {
    const { ws, replies } = await open();
    for (let id = 1; id <= 24; id++) {
      ws.send(encodeFrame({ t: 'call', id, op: 'info', args: [] }));
      await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(id);
    }
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('a client that never reads is closed with 1008 and a reason naming the limit, before all its replies are queued', async () => {
    const { ws, replies } = await open();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.pause(); // stops reading the socket: the server's writes back up
    const CALLS = 64; // 64 MiB of replies: more than the loopback's socket buffers and the 4 MiB limit
    for (let id = 1; id <= CALLS; id++) {
      ws.send(encodeFrame({ t: 'call', id, op: 'info', args: [] }));
      await sleep(10); // one reply at a time, as a page's calls come: what backs up is the not reading
    }
    await sleep(300);
    ws.resume(); // what the server queued arrives, then its close frame
    expect(await closed).toEqual({ code: 1008, reason: 'replies not read: over 4.0 MiB queued (SERVE_MAX_UNSENT_BYTES)' });
    expect(replies.length).toBeLessThan(CALLS);
  }, 30_000);
});
