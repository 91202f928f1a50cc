/**
 * The bad-input corpus (tests/corpus/badInputs.ts, generated at the start) through every channel that can
 * carry each case: the CLI (`vqddm inpaint --json`: exit status, error code and message, nothing written,
 * within a time and memory budget), the engine API in-process through the operation table (as the
 * desktop's MessagePort reaches it) and the real serve bridge over its WebSocket. Afterwards the serve
 * process is still up and answering. What happened goes to docs/RELIABILITY.md (`npm run reliability`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { ApiError, DEFAULT_SETTINGS } from '../../electron/shared/contract.js';
import { decodeMask } from '../../electron/engine/image/codec.js';
import { createEngineService, type EngineService } from '../../electron/engine/service.js';
import type { EngineApi } from '../../electron/shared/operations.js';
import { createRpcClient, serveRpc, type RpcChannel, type RpcMessage } from '../../electron/shared/rpc.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { makeCorpus, type ApiInput, type BadCase, type Outcome } from '../corpus/badInputs.js';
import { recordFigures } from '../reliability/record.js';
import { apiSocket, FIXTURE, ROOT, startServe, TINY_PACK, type ServeProcess } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'vqddm-corpus-'));
const corpusDir = join(dir, 'corpus');
/** Budgets per case: the CLI's whole run (a process start and the pack's load included), a call's reply. */
const CLI_MS = 30_000;
const CLI_RSS_MB = 1500;
const CALL_MS = 10_000;
const TIME = '/usr/bin/time';

let cases: BadCase[] = [];
let s: ServeProcess;
let service: EngineService;
let api: EngineApi;
let photo: { width: number; height: number; data: Uint8Array };
let ws: WebSocket;
const results: { id: string; what: string; cli: string; api: string; serve: string }[] = [];

// The cases are made before the tests are collected: one `it` per case.
cases = await makeCorpus(corpusDir, FIXTURE);

beforeAll(async () => {
  s = await startServe();
  service = await createEngineService({ packDir: TINY_PACK, device: 'cpu' });
  // The engine API as a page's MessagePort reaches it: calls checked against the operation table.
  const pipe = (): { client: RpcChannel; server: RpcChannel } => {
    const h: [((m: unknown) => void) | null, ((m: unknown) => void) | null] = [null, null];
    const end = (i: 0 | 1): RpcChannel => ({ send: (m) => queueMicrotask(() => h[1 - i]?.(structuredClone(m))), onMessage: (l) => (h[i] = l), onClose: () => undefined, close: () => undefined });
    return { client: end(0), server: end(1) };
  };
  const p = pipe();
  serveRpc(service, p.server, 'corpus');
  api = createRpcClient(async () => p.client, 'closed');
  photo = await api.decodeImage(new Uint8Array(readFileSync(FIXTURE)));
  ws = await openSocket();
});

afterAll(async () => {
  // The serve process survived every case and still answers.
  let stillAnswering = false;
  if (s && !s.exited()) {
    const fresh = await openSocket();
    stillAnswering = (await call(fresh, 'info', [])).ok === true;
    fresh.close();
  }
  recordFigures('bad-inputs', { cases: results, stillAnswering, budgets: { cliMs: CLI_MS, cliRssMb: CLI_RSS_MB, callMs: CALL_MS } });
  ws?.close();
  await service?.dispose();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(stillAnswering).toBe(true);
});

async function openSocket(): Promise<WebSocket> {
  const sock = apiSocket(s);
  await new Promise((resolve, reject) => {
    sock.on('open', resolve);
    sock.on('error', reject);
  });
  return sock;
}

let nextId = 1;
function call(sock: WebSocket, op: string, args: unknown[]): Promise<Extract<RpcMessage, { t: 'result' }>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${op} in ${CALL_MS} ms`)), CALL_MS);
    const on = (d: Buffer) => {
      const m = decodeFrame<RpcMessage>(new Uint8Array(d));
      if (m.t === 'result' && m.id === id) {
        clearTimeout(timer);
        sock.off('message', on);
        resolve(m);
      }
    };
    sock.on('message', on);
    sock.send(encodeFrame({ t: 'call', id, op, args }));
  });
}

const summary = (o: Outcome) => `${o.code}${o.exit !== undefined ? `, exit ${o.exit}` : ''}`;

function listing(path: string): string[] {
  return readdirSync(path).sort();
}

async function runCli(c: BadCase): Promise<string> {
  if (!c.cli) return 'not run';
  if ('skip' in c.cli) return `n/a (${c.cli.skip})`;
  const out = mkdtempSync(join(dir, 'out-'));
  const args = [...c.cli.args];
  let outPath = join(out, 'out.png');
  for (const flag of ['--out-name', '--out-path']) {
    const i = args.indexOf(flag);
    if (i >= 0) {
      outPath = flag === '--out-name' ? join(out, args[i + 1]!) : args[i + 1]!;
      args.splice(i, 2);
    }
  }
  const before = listing(corpusDir);
  const outPathBefore = existsSync(outPath) ? readFileSync(outPath) : null;
  const steps = args.includes('--steps') ? [] : ['--steps', '2']; // the case's own --steps, else a quick 2
  const argv = [join(ROOT, 'bin', 'vqddm.js'), 'inpaint', ...args, '--out', outPath, '--pack', TINY_PACK, '--device', 'cpu', ...steps, '--json'];
  const timed = existsSync(TIME);
  const t0 = Date.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'maxrss_kb=%M', process.execPath, ...argv], { encoding: 'utf8', timeout: CLI_MS })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', timeout: CLI_MS });
  const ms = Date.now() - t0;
  const rss = timed ? Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 : NaN;
  const end = c.cli.end;
  expect(r.signal, `${c.id}: killed (over ${CLI_MS} ms?)`).toBe(null);
  const report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { error?: { code: string; message: string }; files?: string[] };
  if (timed) expect(rss, `${c.id}: peak memory ${rss.toFixed(0)} MB`).toBeLessThan(CLI_RSS_MB);
  if (end.code === 'OK') {
    // An odd input that works: exit 0, its one file, nothing else.
    expect(r.status, `${c.id}: ${r.stdout} ${r.stderr}`).toBe(0);
    expect(report.files).toEqual([outPath]);
    expect(listing(out)).toEqual(['out.png']);
    expect(listing(corpusDir)).toEqual(before);
    rmSync(out, { recursive: true, force: true });
    return `OK, exit 0 in ${(ms / 1000).toFixed(1)} s${timed ? `, ${rss.toFixed(0)} MB peak` : ''}: wrote its one file`;
  }
  expect(report.error?.code, `${c.id}: ${r.stdout} ${r.stderr}`).toBe(end.code);
  expect(report.error?.message, c.id).toMatch(end.message);
  expect(r.status, c.id).toBe(end.exit ?? 2);
  // Nothing written: no output, no temporary, nothing beside the inputs; an existing --out untouched.
  expect(listing(out), `${c.id}: files left in the output folder`).toEqual([]);
  expect(listing(corpusDir), `${c.id}: files left beside the inputs`).toEqual(before);
  if (outPathBefore) expect(readFileSync(outPath).equals(outPathBefore), `${c.id}: --out changed`).toBe(true);
  rmSync(out, { recursive: true, force: true });
  return `${summary(end)} in ${(ms / 1000).toFixed(1)} s${timed ? `, ${rss.toFixed(0)} MB peak` : ''}: ${report.error!.message.replace(dir, '…')}`;
}

/** Runs an input through the engine API (the rpc client over the operation table) or a serve socket. */
async function runInput(input: ApiInput, via: 'api' | 'serve', id: string): Promise<{ code: string; message: string } | { ok: true }> {
  const jobId = `bad-${id.replace(/[^A-Za-z0-9_.:-]/g, '-')}`.slice(0, 60);
  if (via === 'api') {
    try {
      if (input.op === 'decodeImage') await api.decodeImage(input.bytes);
      else if (input.op === 'fill') await api.fill(input.request, jobId);
      else {
        const mask = await decodeMask(input.bytes, photo.width, photo.height);
        await api.fill({ image: photo, mask, settings: { ...DEFAULT_SETTINGS, steps: 2 } }, jobId);
      }
      return { ok: true };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return { code: e.code, message: e.message };
    }
  }
  if (input.op === 'mask') throw new Error('serve carries no mask files');
  const r = input.op === 'decodeImage' ? await call(ws, 'decodeImage', [input.bytes]) : await call(ws, 'fill', [input.request, jobId]);
  return r.ok ? { ok: true } : r.error;
}

async function runChannel(c: BadCase, via: 'api' | 'serve'): Promise<string> {
  const spec = c[via];
  if (!spec) return 'not run';
  if ('skip' in spec) return `n/a (${spec.skip})`;
  const t0 = Date.now();
  const got = await runInput(spec.input, via, c.id);
  const ms = Date.now() - t0;
  expect(ms, `${c.id} via ${via}: ${ms} ms`).toBeLessThan(CALL_MS);
  if (via === 'serve') expect(s.exited(), `${c.id}: serve died`).toBe(false);
  if (spec.end.code === 'OK') {
    expect(got, `${c.id} via ${via}`).toEqual({ ok: true });
    return `OK in ${ms} ms`;
  }
  expect(got, `${c.id} via ${via}`).toMatchObject({ code: spec.end.code, message: expect.stringMatching(spec.end.message) });
  return `${spec.end.code} in ${ms} ms: ${(got as { message: string }).message}`;
}

describe(`bad-input corpus (${cases.length} cases) through the CLI, the engine API and the serve bridge`, () => {
  it('has at least 40 cases, each carried by at least one channel', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect([c.cli, c.api, c.serve].some((x) => x && !('skip' in x)), c.id).toBe(true);
  });
  for (const c of cases) {
    it(`${c.id}: ${c.what}`, async () => {
      const row = { id: c.id, what: c.what, cli: 'failed', api: 'failed', serve: 'failed' };
      results.push(row);
      row.cli = await runCli(c);
      row.api = await runChannel(c, 'api');
      row.serve = await runChannel(c, 'serve');
    });
  }
  it('the corpus files are as generated (the sparse 1.5 GiB file took no room)', () => {
    expect(statSync(join(corpusDir, 'huge.png')).blocks * 512).toBeLessThan(10 * 2 ** 20);
  });
});
