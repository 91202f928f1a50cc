/**
 * The Electron main bundle without Electron: a stand-in `electron` module records what main sets up,
 * and its utility process runs as a Node child with the real engine host bundle on the tiny pack. This
 * checks, everywhere, the window's web preferences, navigation and permission blocking, the IPC
 * handlers (and that they refuse other senders), and a fill through main -> engine process -> events.
 */
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, ENGINE_PORT_TAG, type JobEvent } from '../../electron/shared/contract.js';
import { createRpcClient, type RpcChannel } from '../../electron/shared/rpc.js';
import { FIXTURE, ROOT, TINY_PACK } from '../e2e/harness.js';
import { fakePath, loadMain } from './fake-main.js';

type Handler = (e: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
interface Records {
  handlers: Record<string, Handler>;
  windows: { options: { webPreferences: Record<string, unknown> }; webContents: { emit(e: string, ...a: unknown[]): boolean; openHandler(d: { url: string }): { action: string } } }[];
  sent: { channel: string; value: JobEvent }[];
  ports: FakePort[];
  loaded: string[];
  permission: (wc: unknown, perm: string, cb: (ok: boolean) => void) => void;
  forks: { child: { kill(): void } }[];
  exposed: { api?: import('../../electron/shared/host.js').BridgeApi };
  schemes: { scheme: string; privileges: Record<string, boolean> }[];
  protocols: Record<string, (req: Request) => Promise<Response>>;
  opened: string[];
  menu: { label?: string; submenu?: { label?: string; enabled?: boolean; submenu?: { label: string }[] }[] }[];
}

interface FakePort {
  postMessage(data: unknown): void;
  on(event: 'message', l: (e: { data: unknown }) => void): void;
  on(event: 'close', l: () => void): void;
  close(): void;
}

/** The page's end of an engine port, as an rpc channel (what renderer/lib/api.ts makes of a MessagePort). */
function pageChannel(port: FakePort): RpcChannel {
  return {
    send: (msg) => port.postMessage(msg),
    onMessage: (l) => port.on('message', (e) => l(e.data)),
    onClose: (l) => port.on('close', l),
    close: () => port.close(),
  };
}

const require = createRequire(import.meta.url);
const rendererUrl = 'app://bundle/index.html';
const trusted = { senderFrame: { url: rendererUrl } };

describe('Electron main process (stand-in electron module)', () => {
  let rec: Records;
  let restore: () => void;

  beforeAll(async () => {
    const main = loadMain<{ __records: Records }>();
    ({ restore } = main);
    rec = main.fake.__records;
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => {
    for (const f of rec?.forks ?? []) f.child.kill();
    restore?.();
  });

  it('creates one locked-down window loading the built renderer', async () => {
    expect(rec.windows).toHaveLength(1);
    const prefs = rec.windows[0]!.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/out[/\\]preload[/\\]index\.cjs$/);
    // Over the privileged app:// scheme (not file://), each response with the CSP as a header.
    expect(rec.loaded[0]).toBe(rendererUrl);
    expect(rec.schemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    const res = await rec.protocols.app!(new Request(rendererUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    const html = await res.text();
    expect(html).toBe(readFileSync(join(ROOT, 'out', 'renderer', 'index.html'), 'utf8'));
    expect(html).toContain("script-src 'self'");
  });

  it('app:// serves the built renderer only: other hosts, traversal and missing files are 404', async () => {
    for (const url of ['app://bundle/../main/index.cjs', 'app://bundle/%2e%2e/main/index.cjs', 'app://other/index.html', 'app://bundle/nope.js', 'app://bundle/..%2f..%2fpackage.json']) {
      const res = await rec.protocols.app!(new Request(url));
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-security-policy'), url).toMatch(/default-src 'self'/);
    }
  });

  it('blocks navigation, new windows and permission requests', () => {
    const wc = rec.windows[0]!.webContents;
    let prevented = false;
    wc.emit('will-navigate', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    // Links: only allowlisted https sites go to the system browser; nothing opens in the app.
    for (const url of ['https://example.com', 'http://github.com/x', 'https://github.com.evil.example/', 'https://user@github.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://github.com:8443/']) {
      expect(wc.openHandler({ url }), url).toEqual({ action: 'deny' });
    }
    expect(rec.opened).toEqual([]);
    expect(wc.openHandler({ url: 'https://github.com/some/project' })).toEqual({ action: 'deny' });
    expect(rec.opened).toEqual(['https://github.com/some/project']);
    let granted: boolean | null = null;
    rec.permission(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('registers the file channels, refuses senders other than the app page, and relays no engine calls', async () => {
    for (const c of ['files:openImage', 'files:save', 'files:openRecent', 'files:listRecent', 'dialog:choosePack']) expect(rec.handlers[c], c).toBeTypeOf('function');
    expect(Object.keys(rec.handlers).filter((c) => c.startsWith('engine:'))).toEqual([]);
    const r = await rec.handlers['files:listRecent']!({ senderFrame: { url: 'https://evil.example/' } });
    expect(r.ok).toBe(false);
    const recent = await rec.handlers['files:openRecent']!(trusted, '/etc/passwd');
    expect(recent).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
  });

  it('gives each page load a port straight to the engine process, where fills run and events come back', async () => {
    const wc = rec.windows[0]!.webContents;
    const before = rec.ports.length;
    wc.emit('did-finish-load');
    expect(rec.ports.length).toBe(before + 1);
    const api = createRpcClient(async () => pageChannel(rec.ports.at(-1)!), 'closed');
    const events: JobEvent[] = [];
    api.onJobEvent((e) => events.push(e));
    expect((await api.info()).packName).toBe('tiny');
    const image = await api.decodeImage(new Uint8Array(readFileSync(FIXTURE)));
    expect(image.data).toBeInstanceOf(Uint8Array);
    const mask = { width: image.width, height: image.height, data: new Uint8Array(image.width * image.height) };
    for (let y = 60; y < 90; y++) for (let x = 100; x < 140; x++) mask.data[y * image.width + x] = 255;
    const empty = { ...mask, data: new Uint8Array(mask.data.length) };
    await expect(api.fill({ image, mask: empty, settings: { ...DEFAULT_SETTINGS, steps: 5 } }, 'j1')).rejects.toMatchObject({ code: 'EMPTY_MASK' });
    await api.fill({ image, mask, settings: { ...DEFAULT_SETTINGS, steps: 5 } }, 'j1');
    await expect.poll(() => events.some((e) => e.jobId === 'j1' && e.stage === 'finished'), { timeout: 60_000 }).toBe(true);
    // the two methods run side by side (Engine.runEach), each reporting when it is done, in either order
    expect(events.filter((e) => e.stage === 'done').map((e) => e.method).sort()).toEqual(['transformer', 'vqddm']);
    // A reload gets a new port; the old page's channel is closed.
    rec.ports.at(-1)!.close();
    wc.emit('did-finish-load');
    const again = createRpcClient(async () => pageChannel(rec.ports.at(-1)!), 'closed');
    expect((await again.info()).packName).toBe('tiny');
    await expect(again.loadPack('/nonexistent')).rejects.toMatchObject({ code: 'BAD_PACK' });
  });

  it('loadPack takes only the shipped packs and folders chosen in the pack dialog in this session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-chosen-'));
    const mine = join(dir, 'mine');
    cpSync(TINY_PACK, mine, { recursive: true });
    cpSync(TINY_PACK, join(dir, 'other'), { recursive: true });
    rec.windows[0]!.webContents.emit('did-finish-load');
    const api = createRpcClient(async () => pageChannel(rec.ports.at(-1)!), 'closed');
    const rule = 'the app loads only the shipped packs and folders chosen with "Choose pack folder…" in this session; choose it there again';
    // The page names a folder itself (its stored setting, or a hostile page): refused.
    await expect(api.loadPack(mine)).rejects.toMatchObject({ code: 'BAD_PACK', message: `model pack ${mine}: ${rule}` });
    await expect(api.loadPack('/etc')).rejects.toMatchObject({ code: 'BAD_PACK', message: `model pack /etc: ${rule}` });
    // Chosen in the dialog: main vouches for it to the engine process before the page learns the path.
    const fake = require(fakePath) as { dialog: { showOpenDialog: () => Promise<unknown> } };
    fake.dialog.showOpenDialog = async () => ({ canceled: false, filePaths: [mine] });
    expect(await rec.handlers['dialog:choosePack']!(trusted)).toEqual({ ok: true, value: mine });
    expect(await api.loadPack(mine)).toMatchObject({ packName: 'tiny', packDir: mine });
    await expect(api.loadPack(join(dir, 'other'))).rejects.toMatchObject({ code: 'BAD_PACK' }); // never chosen
    expect(await api.loadPack(TINY_PACK)).toMatchObject({ packDir: TINY_PACK }); // the pack it started with
  });

  it('preload exposes the host operations and hands the engine port to the page when asked', async () => {
    const posted: { message: unknown; transfer: unknown[] }[] = [];
    (globalThis as { window?: unknown }).window = { postMessage: (message: unknown, _origin: string, transfer: unknown[]) => posted.push({ message, transfer }) };
    require(join(ROOT, 'out', 'preload', 'index.cjs'));
    const { hostFromBridge } = await import('../../electron/shared/host.js');
    const bridge = rec.exposed.api!;
    expect(Object.keys(bridge).sort()).toEqual(['host', 'requestEnginePort']);
    expect(bridge.host.kind).toBe('electron');
    // What crosses contextBridge: plain data; errors are results, never thrown.
    expect(await bridge.host.openRecent('/etc/passwd')).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    const host = hostFromBridge(bridge);
    await expect(host.openRecent('/etc/passwd')).rejects.toMatchObject({ name: 'ApiError', code: 'IO_ERROR' });
    // A port main sends before the page asks is held, then handed over once.
    rec.windows[0]!.webContents.emit('did-finish-load');
    expect(posted).toEqual([]);
    bridge.requestEnginePort();
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ message: ENGINE_PORT_TAG, transfer: [rec.ports.at(-1)] });
    rec.windows[0]!.webContents.emit('did-finish-load');
    expect(posted).toHaveLength(2);
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

  it('Save over the opened original asks first, once; replaces it whole (temporary sibling, flushed, renamed); nothing left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-save-'));
    const path = join(dir, 'photo.jpg');
    copyFileSync(FIXTURE, path);
    const original = readFileSync(path);
    const fake = require(fakePath) as { dialog: { showOpenDialog: () => Promise<unknown>; showMessageBox: (...a: unknown[]) => Promise<{ response: number }> } };
    fake.dialog.showOpenDialog = async () => ({ canceled: false, filePaths: [path] });
    expect(await rec.handlers['files:openImage']!(trusted)).toMatchObject({ ok: true, value: { path } });
    const asked: { message: string; buttons: string[]; cancelId: number }[] = [];
    let answer = 'Cancel';
    fake.dialog.showMessageBox = async (...a) => {
      const o = a.at(-1) as { message: string; buttons: string[]; cancelId: number };
      asked.push(o);
      return { response: o.buttons.indexOf(answer) };
    };
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const request = { suggestedName: 'photo.jpg', bytes, path, filter: { name: 'JPEG', extensions: ['jpg'] } };
    // Cancel: nothing is written.
    expect(await rec.handlers['files:save']!(trusted, request)).toEqual({ ok: true, value: null });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ message: 'Replace the original photo.jpg?', buttons: ['Replace', 'Cancel'], cancelId: 1 });
    expect(readFileSync(path).equals(original)).toBe(true);
    expect(readdirSync(dir)).toEqual(['photo.jpg']);
    // Replace: written whole, the backup gone once the new file is in place.
    answer = 'Replace';
    expect(await rec.handlers['files:save']!(trusted, request)).toMatchObject({ ok: true, value: { path } });
    expect(asked).toHaveLength(2);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(readdirSync(dir)).toEqual(['photo.jpg']);
    // Saving again over what this session wrote does not ask again.
    expect(await rec.handlers['files:save']!(trusted, { ...request, bytes: new Uint8Array([5, 6]) })).toMatchObject({ ok: true, value: { path } });
    expect(asked).toHaveLength(2);
    expect(new Uint8Array(readFileSync(path))).toEqual(new Uint8Array([5, 6]));
    // A path the page did not open or save is not written without the dialog (which the stand-in cancels).
    const other = join(dir, 'other.jpg');
    expect(await rec.handlers['files:save']!(trusted, { ...request, path: other })).toMatchObject({ ok: true, value: null });
    expect(readdirSync(dir)).toEqual(['photo.jpg']);
  });

  it('the Open dialog lists .vqddm project files beside the photos, and hands one to the page whole, as the browser does', async () => {
    // The page's own project code, loaded by path: it is typed for the web side's config, not this one.
    const { writeProject, readProject } = (await import(join(ROOT, 'renderer', 'lib', 'project.ts'))) as {
      writeProject(p: { name: string; bytes: Uint8Array; done: unknown[]; undone: unknown[]; savedId: number; settings: Record<string, unknown>; entries: unknown[] }): Uint8Array;
      readProject(b: Uint8Array): { recovery: { doc: { name: string; bytes: Uint8Array }; state: { done: unknown[]; settings: unknown } } };
    };
    const { isZip } = (await import(join(ROOT, 'renderer', 'lib', 'zip.ts'))) as { isZip(b: Uint8Array): boolean };
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-project-'));
    const path = join(dir, 'session.vqddm');
    const stroke = { kind: 'stroke' as const, erase: false, size: 20, hardness: 1, points: [10, 10, 60, 40] };
    writeFileSync(path, writeProject({ name: 'photo.jpg', bytes: new Uint8Array(readFileSync(FIXTURE)), done: [{ id: 1, kind: 'mask', op: stroke }], undone: [], savedId: 0, settings: { steps: 7 }, entries: [] }));
    const fake = require(fakePath) as { dialog: { showOpenDialog: (...a: unknown[]) => Promise<unknown> } };
    let options: { filters: { name: string; extensions: string[] }[] } | undefined;
    fake.dialog.showOpenDialog = async (...a) => {
      options = a.at(-1) as typeof options;
      return { canceled: false, filePaths: [path] };
    };
    const opened = await rec.handlers['files:openImage']!(trusted);
    // photos and projects together first (the dialog's default filter), then each alone
    expect(options!.filters.map((f) => f.name)).toEqual(['Images and projects', 'Images', 'VQ-DDM Studio projects']);
    expect(options!.filters[0]!.extensions).toEqual(expect.arrayContaining(['jpg', 'png', 'tif', 'vqddm']));
    expect(options!.filters[2]!.extensions).toEqual(['vqddm']);
    // The page's openFile tells a project from a photo by its bytes (lib/zip.ts isZip), whatever the host:
    // what main hands over reads back as the project written.
    expect(opened).toMatchObject({ ok: true, value: { name: 'session.vqddm', path } });
    const file = opened.value as { bytes: Uint8Array };
    expect(isZip(file.bytes)).toBe(true);
    const { recovery } = readProject(file.bytes);
    expect([recovery.doc.name, recovery.state.done, recovery.state.settings]).toEqual(['photo.jpg', [{ kind: 'mask', op: stroke }], { steps: 7 }]);
    expect(Buffer.from(recovery.doc.bytes).equals(readFileSync(FIXTURE))).toBe(true);
    // and it joins the recent list, reopened the same way
    expect(await rec.handlers['files:openRecent']!(trusted, path)).toMatchObject({ ok: true, value: { name: 'session.vqddm' } });
  });
});
