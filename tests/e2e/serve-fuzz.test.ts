/**
 * Protocol fuzzer against the serve bridge (the real `out/serve` process on the tiny pack), by a client
 * that has the token: seeded raw WebSocket frames that break RFC 6455 (reserved bits and opcodes,
 * unmasked, lengths up to 2^63, control frames too long or fragmented), then binary messages that are
 * noise, mutated wire frames (head lengths up to 4 GiB, blob entries with huge lengths or odd paths,
 * 100 000-deep JSON) and almost-right calls (one field wrong, huge claimed sizes). Each must end in an
 * error reply with a code or that connection closed; the process stays up and a well-formed call is
 * answered at the end. Bounded in count and time; FUZZ_SEED=n replays a run. No Chromium needed.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { rawFrame, rng, wirePayload } from '../fuzz/generate.js';
import { recordFigures } from '../reliability/record.js';
import { apiSocket, handshakeLines, startServe, type ServeProcess } from './harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 8008);
const RAW_FRAMES = 150;
const MESSAGES = 1200;
const BUDGET_MS = 90_000;

let s: ServeProcess;
const figures = { seed: SEED, raw: { sent: 0, closed: 0, open: 0 }, messages: { sent: 0, errorReplies: 0, okReplies: 0, closes: {} as Record<string, number> }, stillAnswering: false };

beforeAll(async () => {
  s = await startServe();
});
afterAll(async () => {
  recordFigures('serve-fuzz', figures);
  await s?.stop();
});

function handshake(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(s.port, '127.0.0.1', () => {
      sock.write(
        `GET /api HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${handshakeLines(s)}\r\n`,
      );
    });
    sock.once('data', (d) => (String(d).startsWith('HTTP/1.1 101') ? resolve(sock) : reject(new Error(String(d).split('\r\n')[0]))));
    sock.on('error', (e) => reject(new Error(`serve is gone: ${e.message}`)));
    sock.on('close', () => reject(new Error('serve closed the connection during the handshake')));
  });
}

async function open(): Promise<WebSocket> {
  const ws = apiSocket(s);
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  ws.on('error', () => undefined);
  return ws;
}

const SENTINEL = 2_000_000_000;

describe(`serve bridge fuzzer (seed ${SEED})`, () => {
  const t0 = Date.now();

  it(`${RAW_FRAMES} raw WebSocket frames: the connection is closed or keeps working, the process stays up`, async () => {
    const r = rng(SEED);
    for (let i = 0; i < RAW_FRAMES && Date.now() - t0 < BUDGET_MS / 3; i++) {
      const sock = await handshake();
      const closed = new Promise<boolean>((resolve) => {
        sock.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 400);
      });
      sock.write(rawFrame(r));
      figures.raw.sent++;
      if (await closed) figures.raw.closed++;
      else figures.raw.open++;
      sock.destroy();
      expect(s.exited(), `serve died after raw frame ${i}`).toBe(false);
    }
    expect(figures.raw.sent).toBeGreaterThanOrEqual(20);
  });

  it(`${MESSAGES} hostile binary messages: each gets an error reply with a code or closes its connection`, async () => {
    const r = rng(SEED + 1);
    let ws = await open();
    for (let i = 0; i < MESSAGES && Date.now() - t0 < BUDGET_MS; i++) {
      const id = 1 + i;
      const payload = wirePayload(r, id);
      // The message, then a well-formed call: its reply means the message was dealt with on a live connection.
      const outcome = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('no answer in 20 s'), 20_000);
        const onMessage = (d: Buffer) => {
          const m = decodeFrame<RpcMessage>(new Uint8Array(d));
          if (m.t !== 'result') return;
          if (m.id === SENTINEL) {
            clearTimeout(timer);
            ws.off('message', onMessage);
            resolve('answered');
          } else if (m.ok) figures.messages.okReplies++;
          else if (/^[A-Z_]+$/.test(m.error?.code ?? '') && typeof m.error.message === 'string') figures.messages.errorReplies++;
          else resolve(`a reply without an error code: ${JSON.stringify(m).slice(0, 200)}`);
        };
        ws.on('message', onMessage);
        ws.once('close', (code) => {
          clearTimeout(timer);
          resolve(`closed ${code}`);
        });
        ws.send(payload);
        if (ws.readyState === ws.OPEN) ws.send(encodeFrame({ t: 'call', id: SENTINEL, op: 'info', args: [] }));
      });
      figures.messages.sent++;
      expect(outcome, `message ${i}`).toMatch(/^(answered|closed (1003|1008|1009|1006))$/);
      expect(s.exited(), `serve died after message ${i}`).toBe(false);
      if (outcome !== 'answered') {
        figures.messages.closes[outcome] = (figures.messages.closes[outcome] ?? 0) + 1;
        ws = await open();
      }
    }
    ws.close();
    expect(figures.messages.sent).toBeGreaterThanOrEqual(100);
    expect(figures.messages.errorReplies).toBeGreaterThan(0);
  });

  it('the process is still up and answers a well-formed call', async () => {
    expect(s.exited()).toBe(false);
    const ws = await open();
    const reply = new Promise<RpcMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<RpcMessage>(new Uint8Array(d)))));
    ws.send(encodeFrame({ t: 'call', id: 1, op: 'info', args: [] }));
    expect(await reply).toMatchObject({ t: 'result', id: 1, ok: true, value: { packName: expect.any(String) } });
    ws.close();
    figures.stillAnswering = true;
    console.log(`serve fuzz seed ${SEED}: ${JSON.stringify(figures)} in ${Date.now() - t0} ms`);
  });
});
