/** The serve bridge's front door: every request without the per-start token is answered 401. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { ROOT, serveCookie, startServe, type ServeProcess } from './harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One GET whose request target goes out byte for byte over TCP: no client (`URL`, fetch, http.request's
 * checks) collapses `..`, decodes `%2e` or turns `\` into `/` first, so what is tested is the server's own
 * mapping of a request path to a file.
 */
function rawGet(port: number, target: string, cookie: string): Promise<{ status: number; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1] ?? 0), raw });
    });
  });
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opens. */
function upgrade(port: number, headers: Record<string, string>, path = '/api'): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('error', (e) => (String(e.message).includes('401') ? resolve({ status: 401 }) : reject(e)));
  });
}

describe('serve mode token', () => {
  let s: ServeProcess;
  let cookie: string;
  let asset: string;
  beforeAll(async () => {
    s = await startServe();
    asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(readFileSync(join(ROOT, 'out', 'renderer', 'index.html'), 'utf8'))![1]!;
  });
  afterAll(() => s?.stop());

  it('prints exactly one line, the address with its token', () => {
    expect(s.lines).toEqual([`Serving at http://127.0.0.1:${s.port}/?token=${s.token}`]);
    expect(s.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 to the page, assets and unknown paths without a valid token', async () => {
    expect((await get(s.port, '/')).status).toBe(401);
    expect((await get(s.port, `/${asset}`)).status).toBe(401);
    expect((await get(s.port, '/nope')).status).toBe(401);
    expect((await get(s.port, '/?token=wrong')).status).toBe(401);
    expect((await get(s.port, '/', { cookie: 'vqddm_token=wrong' })).status).toBe(401);
  });

  it('trades the URL token for an HttpOnly cookie, which then opens the page and its assets', async () => {
    const r = await get(s.port, `/?token=${s.token}`);
    expect(r.status).toBe(303);
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^vqddm_token_${s.port}=`)); // one cookie per instance: another port's does not replace it
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    cookie = set.split(';')[0]!;
    const page = await get(s.port, '/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await get(s.port, `/${asset}`, { cookie })).status).toBe(200);
    // A foreign Host header (DNS rebinding) gets nothing.
    expect((await get(s.port, '/', { cookie, host: 'evil.example' })).status).toBe(401);
  });

  it('serves nothing outside the renderer folder, however the path is spelled on the wire', async () => {
    const c = await serveCookie(s);
    // Files that exist outside out/renderer (the server's root): the project's package.json two levels
    // up, the main bundle beside it, and /etc/passwd. Each reply must hold none of their bytes.
    const secrets = [join(ROOT, 'package.json'), join(ROOT, 'out', 'main', 'index.cjs'), '/etc/passwd'].map((f) => readFileSync(f, 'latin1').slice(0, 120));
    const up = (sep: string, n: number) => Array.from({ length: n }, () => `..${sep}`).join('');
    const targets = [
      `/${up('/', 2)}package.json`, // plain dot segments, as sent (a client's URL would have collapsed them)
      `/${up('/', 1)}main/index.cjs`,
      `/${up('/', 12)}etc/passwd`,
      `/assets/${up('/', 3)}package.json`,
      `//..//..//package.json`,
      `/%2e%2e/%2e%2e/package.json`, // encoded dots
      `/%2E%2E/%2E%2E/package.json`,
      `/.%2e/.%2e/package.json`,
      `/${up('%2f', 2)}package.json`, // encoded slashes: one segment on the wire, three after decoding
      `/${up('%2F', 1)}main%2Findex.cjs`,
      `/%2e%2e%2f%2e%2e%2fpackage.json`,
      `/assets/${up('%2f', 3)}package.json`,
      `/${up('%2f', 12)}etc%2fpasswd`,
      `/${up('\\', 2)}package.json`, // backslashes, raw and encoded
      `/${up('%5c', 2)}package.json`,
      `/${up('%5C', 1)}main%5Cindex.cjs`,
      `/%252e%252e/%252e%252e/package.json`, // double-encoded: decoded once, these are names, not dot segments
      `/${up('%252f', 2)}package.json`,
      `/%252e%252e%252f%252e%252e%252fpackage.json`,
    ];
    // 401 is the guard's refusal, 404 a name inside the root that does not exist: either way the request
    // reached the file handler (a 400 would mean the HTTP parser refused it, testing nothing) and got
    // nothing back. Every spelling that does otherwise is listed.
    const wrong: string[] = [];
    for (const target of targets) {
      const r = await rawGet(s.port, target, c);
      const leaked = secrets.some((secret) => r.raw.includes(secret));
      if (![401, 404].includes(r.status) || leaked) wrong.push(`${target} -> ${r.status}${leaked ? ', with the bytes of a file outside the root' : ''}`);
    }
    expect(wrong).toEqual([]);
    // The same connection code does serve what is inside the root, so the refusals above are the guard's.
    const ok = await rawGet(s.port, `/${asset}`, c);
    expect(ok.status).toBe(200);
    expect(ok.raw).toContain(readFileSync(join(ROOT, 'out', 'renderer', asset), 'latin1').slice(0, 120));
  });

  it('refuses WebSocket upgrades without the token or from another origin, and serves the API with it', async () => {
    expect((await upgrade(s.port, {})).status).toBe(401);
    expect((await upgrade(s.port, { cookie: 'vqddm_token=wrong' })).status).toBe(401);
    const origin = `http://127.0.0.1:${s.port}`;
    expect((await upgrade(s.port, { cookie, origin: 'http://evil.example' })).status).toBe(401);
    const ok = await upgrade(s.port, { cookie, origin });
    expect(ok.status).toBe(101);
    const ws = ok.ws!;
    const reply = new Promise<RpcMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<RpcMessage>(new Uint8Array(d)))));
    ws.send(encodeFrame({ t: 'call', id: 1, op: 'info', args: [] }));
    const msg = await reply;
    expect(msg).toMatchObject({ t: 'result', id: 1, ok: true, value: { packName: 'tiny' } });
    const bad = new Promise<RpcMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<RpcMessage>(new Uint8Array(d)))));
    ws.send(encodeFrame({ t: 'call', id: 2, op: 'decodeImage', args: [new Uint8Array([1, 2, 3])] }));
    expect(await bad).toMatchObject({ t: 'result', id: 2, ok: false, error: { code: 'BAD_IMAGE' } });
    ws.close();
  });
});
