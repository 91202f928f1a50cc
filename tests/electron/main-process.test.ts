/**
 * The Electron main bundle without Electron: a stand-in `electron` module records what main sets up,
 * and its utility process runs as a Node child with the real engine host bundle on the tiny pack. This
 * checks, everywhere, the window's web preferences, navigation and permission blocking, the IPC
 * handlers (and that they refuse other senders), and a fill through main -> engine process -> events.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, DEFAULT_SETTINGS, type JobEvent, type RgbaImage } from '../../electron/shared/contract.js';
import { FIXTURE, ROOT, TINY_PACK } from '../e2e/harness.js';

type Handler = (e: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
interface Records {
  handlers: Record<string, Handler>;
  windows: { options: { webPreferences: Record<string, unknown> }; webContents: { emit(e: string, ...a: unknown[]): boolean; openHandler(d: { url: string }): { action: string } } }[];
  sent: { channel: string; value: JobEvent }[];
  loaded: string[];
  permission: (wc: unknown, perm: string, cb: (ok: boolean) => void) => void;
  forks: { child: { kill(): void } }[];
  exposed: { api?: import('../../electron/shared/host.js').BridgeApi };
  menu: { label?: string; submenu?: { label?: string; enabled?: boolean; submenu?: { label: string }[] }[] }[];
}

const require = createRequire(import.meta.url);
const fakePath = join(import.meta.dirname, 'fake-electron.cjs');
const rendererUrl = pathToFileURL(join(ROOT, 'out', 'renderer', 'index.html')).href;
const trusted = { senderFrame: { url: rendererUrl } };

describe('Electron main process (stand-in electron module)', () => {
  let rec: Records;
  let restore: () => void;

  beforeAll(async () => {
    const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
    const original = M._resolveFilename;
    M._resolveFilename = (req, ...rest) => (req === 'electron' ? fakePath : original(req, ...rest));
    restore = () => (M._resolveFilename = original);
    process.argv.push('--pack', TINY_PACK);
    require(join(ROOT, 'out', 'main', 'index.cjs'));
    rec = (require(fakePath) as { __records: Records }).__records;
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => {
    for (const f of rec?.forks ?? []) f.child.kill();
    restore?.();
  });

  it('creates one locked-down window loading the built renderer', () => {
    expect(rec.windows).toHaveLength(1);
    const prefs = rec.windows[0]!.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/out[/\\]preload[/\\]index\.cjs$/);
    expect(rec.loaded[0]).toMatch(/out[/\\]renderer[/\\]index\.html$/);
    const html = readFileSync(rec.loaded[0]!, 'utf8');
    expect(html).toContain("script-src 'self'");
  });

  it('blocks navigation, new windows and permission requests', () => {
    const wc = rec.windows[0]!.webContents;
    let prevented = false;
    wc.emit('will-navigate', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(wc.openHandler({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    let granted: boolean | null = null;
    rec.permission(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('registers the engine and file channels, and refuses senders other than the app page', async () => {
    for (const c of Object.values(CHANNELS).filter((c) => c !== CHANNELS.engineEvent)) expect(rec.handlers[c], c).toBeTypeOf('function');
    for (const c of ['files:openImage', 'files:save', 'files:openRecent', 'dialog:choosePack']) expect(rec.handlers[c], c).toBeTypeOf('function');
    const r = await rec.handlers[CHANNELS.engineInfo]!({ senderFrame: { url: 'https://evil.example/' } });
    expect(r.ok).toBe(false);
    const recent = await rec.handlers['files:openRecent']!(trusted, '/etc/passwd');
    expect(recent).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
  });

  it('runs a fill in the engine process and forwards its events to the window', async () => {
    const info = await rec.handlers[CHANNELS.engineInfo]!(trusted);
    expect(info).toMatchObject({ ok: true, value: { packName: 'tiny' } });
    const decoded = await rec.handlers[CHANNELS.engineDecode]!(trusted, new Uint8Array(readFileSync(FIXTURE)));
    expect(decoded.ok).toBe(true);
    const image = decoded.value as RgbaImage;
    expect(image.data).toBeInstanceOf(Uint8Array);
    const mask = { width: image.width, height: image.height, data: new Uint8Array(image.width * image.height) };
    for (let y = 60; y < 90; y++) for (let x = 100; x < 140; x++) mask.data[y * image.width + x] = 255;
    const bad = await rec.handlers[CHANNELS.engineFill]!(trusted, { image, mask: { ...mask, data: new Uint8Array(mask.data.length) }, settings: { ...DEFAULT_SETTINGS, steps: 5 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'EMPTY_MASK' } });
    const started = await rec.handlers[CHANNELS.engineFill]!(trusted, { image, mask, settings: { ...DEFAULT_SETTINGS, steps: 5 } });
    expect(started.ok).toBe(true);
    const jobId = started.value as string;
    await expect
      .poll(() => rec.sent.some((s) => s.channel === CHANNELS.engineEvent && s.value.jobId === jobId && s.value.stage === 'finished'), { timeout: 60_000 })
      .toBe(true);
    const done = rec.sent.filter((s) => s.value.jobId === jobId && s.value.stage === 'done').map((s) => s.value.method);
    expect(done).toEqual(['vqddm', 'transformer']);
  });

  it('preload exposes one typed function per operation, and rebuilds errors with their code', async () => {
    require(join(ROOT, 'out', 'preload', 'index.cjs'));
    const { fromBridge } = await import('../../electron/shared/host.js');
    const bridge = rec.exposed.api!;
    // What crosses contextBridge: plain data; errors are results, never thrown.
    expect(await bridge.decodeImage(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, error: { code: 'BAD_IMAGE' } });
    const api = fromBridge(bridge);
    expect(bridge.host.kind).toBe('electron');
    expect(Object.keys(bridge).sort()).toEqual(['cancel', 'decodeImage', 'encodeImage', 'fill', 'host', 'info', 'loadPack', 'onJobEvent']);
    expect((await api.info()).packName).toBe('tiny');
    const err = await api.decodeImage(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ApiError', code: 'BAD_IMAGE' });
    expect(String((err as Error).message)).toMatch(/not a readable image/);
    const badPack = await api.loadPack('/nonexistent').catch((e: unknown) => e);
    expect(badPack).toMatchObject({ code: 'BAD_PACK' });
  });

  it('an opened file joins the recent list and the File > Open Recent menu, and may be reopened', async () => {
    const fake = require(fakePath) as { dialog: { showOpenDialog: () => Promise<unknown> } };
    fake.dialog.showOpenDialog = async () => ({ canceled: false, filePaths: [FIXTURE] });
    const opened = await rec.handlers['files:openImage']!(trusted);
    expect(opened).toMatchObject({ ok: true, value: { name: 'photo.jpg', path: FIXTURE } });
    const recent = rec.menu.find((m) => m.label === 'File')!.submenu!.find((i) => i.label === 'Open Recent')!;
    expect(recent.enabled).toBe(true);
    expect(recent.submenu!.map((i) => i.label)).toEqual(['photo.jpg']);
    expect(await rec.handlers['files:listRecent']!(trusted)).toMatchObject({ ok: true, value: [{ id: FIXTURE, name: 'photo.jpg' }] });
    expect(await rec.handlers['files:openRecent']!(trusted, FIXTURE)).toMatchObject({ ok: true });
  });
});
