/**
 * The Electron security checklist of issue 8, checked statically where no Electron binary runs: the
 * electron-builder configuration (fuses, validated against the installed electron-builder's own schema)
 * and the main-process code (sources and the built bundle). Each item is found at a file and line, which
 * docs/RELIABILITY.md lists; the stand-in test (main-process.test.ts) checks the same items at run time.
 * Needs `node scripts/build-node.mjs` (out/main).
 */
import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';
import { recordFigures } from '../reliability/record.js';

const require = createRequire(import.meta.url);
const config = require(join(ROOT, 'build', 'electron-builder.config.cjs')) as Record<string, unknown>;
const rows: { item: string; where: string; ok: boolean }[] = [];
afterAll(() => recordFigures('electron-checklist', { rows }));

/** `file:line` of the first line of `file` (from the repo root) matching `pattern`; fails the test if none. */
function at(file: string, pattern: RegExp): string {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => pattern.test(l));
  expect(i, `${file} has no line matching ${pattern}`).toBeGreaterThanOrEqual(0);
  return `${file}:${i + 1}`;
}

function item(name: string, check: () => string): void {
  it(name, () => {
    let where = '';
    try {
      where = check();
      rows.push({ item: name, where, ok: true });
    } catch (e) {
      rows.push({ item: name, where, ok: false });
      throw e;
    }
  });
}

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
const mainSources = sources('electron/main');
const bundle = readFileSync(join(ROOT, 'out', 'main', 'index.cjs'), 'utf8');

describe('Electron checklist: fuses (build/electron-builder.config.cjs)', () => {
  it('the configuration is valid for the installed electron-builder (its own JSON schema)', () => {
    const schema = require('app-builder-lib/scheme.json') as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(config) ? [] : validate.errors).toEqual([]);
  });
  const fuses = config.electronFuses as Record<string, boolean>;
  const cfg = 'build/electron-builder.config.cjs';
  item('RunAsNode off', () => (expect(fuses.runAsNode).toBe(false), at(cfg, /^\s+runAsNode: false,/)));
  item('EnableNodeOptionsEnvironmentVariable off', () => (expect(fuses.enableNodeOptionsEnvironmentVariable).toBe(false), at(cfg, /enableNodeOptionsEnvironmentVariable: false/)));
  item('EnableNodeCliInspectArguments off', () => (expect(fuses.enableNodeCliInspectArguments).toBe(false), at(cfg, /enableNodeCliInspectArguments: false/)));
  item('EnableEmbeddedAsarIntegrityValidation on', () => (expect(fuses.enableEmbeddedAsarIntegrityValidation).toBe(true), at(cfg, /enableEmbeddedAsarIntegrityValidation: true/)));
  item('OnlyLoadAppFromAsar on (and the app is an asar)', () => (expect(fuses.onlyLoadAppFromAsar).toBe(true), expect(config.asar).toBe(true), at(cfg, /onlyLoadAppFromAsar: true/)));
  item('EnableCookieEncryption on', () => (expect(fuses.enableCookieEncryption).toBe(true), at(cfg, /enableCookieEncryption: true/)));
  item('GrantFileProtocolExtraPrivileges off', () => (expect(fuses.grantFileProtocolExtraPrivileges).toBe(false), at(cfg, /grantFileProtocolExtraPrivileges: false/)));
});

describe('Electron checklist: main-process code', () => {
  item('window: context isolation, sandbox, no Node integration, web security, no webview', () => {
    const src = readFileSync(join(ROOT, 'electron/main/window.ts'), 'utf8');
    for (const line of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'nodeIntegrationInWorker: false', 'webSecurity: true', 'webviewTag: false']) expect(src).toContain(line);
    return at('electron/main/window.ts', /contextIsolation: true/);
  });
  item('navigation and new windows blocked', () => {
    const src = readFileSync(join(ROOT, 'electron/main/window.ts'), 'utf8');
    expect(src).toMatch(/on\('will-navigate', \(e\) => e\.preventDefault\(\)\)/);
    expect(src).toMatch(/return \{ action: 'deny' \}/);
    return at('electron/main/window.ts', /will-navigate/);
  });
  item('renderer over a privileged app:// protocol, not file://', () => {
    expect(readFileSync(join(ROOT, 'electron/main/protocol.ts'), 'utf8')).toMatch(/registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME, privileges: \{ standard: true, secure: true/);
    for (const f of mainSources) expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(/\.loadFile\(|pathToFileURL/);
    expect(bundle).toContain("registerSchemesAsPrivileged");
    expect(bundle).toContain('protocol.handle(APP_SCHEME, ');
    expect(bundle).toMatch(/\.loadURL\(rendererUrl\d*\)/);
    // registered before the app is ready (Electron requires it)
    const index = readFileSync(join(ROOT, 'electron/main/index.ts'), 'utf8');
    expect(index.indexOf('registerAppScheme();')).toBeLessThan(index.indexOf('app.whenReady()'));
    return at('electron/main/protocol.ts', /registerSchemesAsPrivileged/);
  });
  item('CSP also as a response header (app:// and serve)', () => {
    expect(readFileSync(join(ROOT, 'electron/main/protocol.ts'), 'utf8')).toMatch(/'content-security-policy': CSP/);
    expect(readFileSync(join(ROOT, 'electron/serve/server.ts'), 'utf8')).toMatch(/'content-security-policy': CSP/);
    return at('electron/main/protocol.ts', /'content-security-policy': CSP/);
  });
  item('shell.openExternal only for allowlisted https sites', () => {
    const calls = mainSources.flatMap((f) => readFileSync(join(ROOT, f), 'utf8').split('\n').map((l, i) => ({ f, i, l })).filter((x) => x.l.includes('openExternal(')));
    expect(calls.length).toBe(1);
    expect(calls[0]!.l).toMatch(/if \(externalAllowed\(url\)\) void shell\.openExternal\(url\)/);
    expect(bundle.match(/openExternal\(/g)?.length).toBe(1);
    return `${calls[0]!.f}:${calls[0]!.i + 1}`;
  });
  item('loadPack only for folders from this session\'s folder dialog (main vouches to the engine process)', () => {
    expect(readFileSync(join(ROOT, 'electron/main/ipc/files.ts'), 'utf8')).toMatch(/await allowPack\(r\.filePaths\[0\]\);\s+return r\.filePaths\[0\];/);
    expect(readFileSync(join(ROOT, 'electron/engine-process/index.ts'), 'utf8')).toMatch(/op === 'loadPack' \? \[await \(await packs\)\.resolve\(/);
    return at('electron/engine-process/index.ts', /op === 'loadPack' \? \[await \(await packs\)\.resolve\(/);
  });
  item('IPC only from the app page (sender checked on every handler)', () => {
    expect(readFileSync(join(ROOT, 'electron/main/ipc/result.ts'), 'utf8')).toMatch(/if \(!trusted\(e, rendererUrl\)\) return/);
    for (const f of mainSources) {
      const src = readFileSync(join(ROOT, f), 'utf8');
      if (f !== join('electron', 'main', 'ipc', 'result.ts')) expect(src, `${f} registers IPC without the sender check`).not.toMatch(/ipcMain\.(handle|on)\(/);
    }
    return at('electron/main/ipc/result.ts', /if \(!trusted\(e, rendererUrl\)\) return/);
  });
  item('host IPC arguments checked against one schema per channel before any work (BAD_REQUEST otherwise)', () => {
    expect(readFileSync(join(ROOT, 'electron/main/ipc/result.ts'), 'utf8')).toMatch(/const checked = checkHostArgs\(channel, args\);\s+if \(!checked\.ok\) return \{ ok: false, error: \{ code: 'BAD_REQUEST'/);
    return at('electron/main/ipc/result.ts', /const checked = checkHostArgs\(channel, args\);/);
  });
  item('engine messages checked against the operation table where they arrive (engine process)', () => {
    expect(readFileSync(join(ROOT, 'electron/engine-process/index.ts'), 'utf8')).toMatch(/serveRpc\(engine, portChannel\(port\)/);
    return at('electron/engine-process/index.ts', /serveRpc\(engine, portChannel\(port\)/);
  });
  it('lists every item with a place', () => {
    expect(rows.every((r) => r.ok && /:\d+$/.test(r.where))).toBe(true);
    expect(relative(ROOT, join(ROOT, rows[0]!.where.split(':')[0]!))).toBe('build/electron-builder.config.cjs');
  });
});
