/**
 * A client that has the token but sends malformed WebSocket traffic must lose its own connection, never
 * the serve process (the hardening issue, finding 1): raw frames written over TCP after a real handshake.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { apiSocket, handshakeLines, startServe, type ServeProcess } from './harness.js';

let s: ServeProcess;
beforeAll(async () => {
  s = await startServe();
});
afterAll(() => s?.stop());

/** A raw TCP socket after a successful WebSocket handshake. */
function handshake(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(s.port, '127.0.0.1', () => {
      sock.write(
        `GET /api HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${handshakeLines(s)}\r\n`,
      );
    });
    sock.once('data', (d) => (String(d).startsWith('HTTP/1.1 101') ? resolve(sock) : reject(new Error(String(d).split('\r\n')[0]))));
    sock.on('error', () => undefined);
  });
}

/** Resolves when the server closes the connection. */
const closed = (sock: Socket) => new Promise<void>((resolve) => sock.on('close', () => resolve()));

/** The engine still answers a well-formed call on a fresh connection. */
async function stillServing(): Promise<void> {
  const ws = apiSocket(s);
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  const reply = new Promise<RpcMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<RpcMessage>(new Uint8Array(d)))));
  ws.send(encodeFrame({ t: 'call', id: 1, op: 'info', args: [] }));
  expect(await reply).toMatchObject({ t: 'result', id: 1, ok: true });
  ws.close();
}

const mask = Buffer.from([1, 2, 3, 4]);
const masked = (payload: Buffer) => Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));

describe('serve bridge against malformed WebSocket frames', () => {
  const cases: [string, Buffer][] = [
    ['a frame claiming 2 GiB', Buffer.concat([Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0]), mask])],
    ['an unmasked client frame', Buffer.from([0x82, 0x03, 1, 2, 3])],
    ['a reserved opcode', Buffer.concat([Buffer.from([0x83, 0x83]), mask, masked(Buffer.from([1, 2, 3]))])],
    ['the RSV1 bit without an extension', Buffer.concat([Buffer.from([0xc2, 0x83]), mask, masked(Buffer.from([1, 2, 3]))])],
  ];
  for (const [name, frame] of cases) {
    it(`${name}: closes that connection, keeps serving`, async () => {
      const sock = await handshake();
      const done = closed(sock);
      sock.write(frame);
      await done;
      expect(s.exited()).toBe(false);
      await stillServing();
    });
  }

  it('a message that decodes to null or to a non-object is refused, not a crash', async () => {
    for (const value of [null, 7, 'call', []]) {
      const ws = apiSocket(s);
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      const gone = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.send(encodeFrame(value));
      expect(await gone).toBe(1008);
    }
    expect(s.exited()).toBe(false);
    await stillServing();
  });
});
