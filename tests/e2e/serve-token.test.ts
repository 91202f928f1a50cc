/** The serve bridge's front door: every request without the per-start token is answered 401. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import type { ServeMessage } from '../../electron/shared/serveProtocol.js';
import { ROOT, startServe, type ServeProcess } from './harness.js';

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
    // Path traversal and a foreign Host header (DNS rebinding) get nothing.
    expect((await get(s.port, '/../package.json', { cookie })).status).not.toBe(200);
    expect((await get(s.port, '/%2e%2e/package.json', { cookie })).status).not.toBe(200);
    expect((await get(s.port, '/', { cookie, host: 'evil.example' })).status).toBe(401);
  });

  it('refuses WebSocket upgrades without the token or from another origin, and serves the API with it', async () => {
    expect((await upgrade(s.port, {})).status).toBe(401);
    expect((await upgrade(s.port, { cookie: 'vqddm_token=wrong' })).status).toBe(401);
    const origin = `http://127.0.0.1:${s.port}`;
    expect((await upgrade(s.port, { cookie, origin: 'http://evil.example' })).status).toBe(401);
    const ok = await upgrade(s.port, { cookie, origin });
    expect(ok.status).toBe(101);
    const ws = ok.ws!;
    const reply = new Promise<ServeMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<ServeMessage>(new Uint8Array(d)))));
    ws.send(encodeFrame({ t: 'call', id: 1, op: 'info', args: [] }));
    const msg = await reply;
    expect(msg).toMatchObject({ t: 'result', id: 1, ok: true, value: { packName: 'tiny' } });
    const bad = new Promise<ServeMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<ServeMessage>(new Uint8Array(d)))));
    ws.send(encodeFrame({ t: 'call', id: 2, op: 'decodeImage', args: [new Uint8Array([1, 2, 3])] }));
    expect(await bad).toMatchObject({ t: 'result', id: 2, ok: false, error: { code: 'BAD_IMAGE' } });
    ws.close();
  });
});
