/**
 * `npm run dist` needs to download Electron, which this machine cannot; so check what can be checked:
 * the electron-builder configuration passes electron-builder's own schema validation and names the
 * right files, targets, unpacked native modules and resources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';

const require = createRequire(import.meta.url);
const configPath = join(ROOT, 'build', 'electron-builder.config.cjs');

interface Config {
  files: string[];
  asarUnpack: string[];
  extraResources: { from: string; to: string; filter: string[] }[];
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

describe('electron-builder configuration', () => {
  // A copy: electron-builder normalises the loaded module's object in place.
  const config = structuredClone(require(configPath)) as Config;

  it('passes electron-builder validation', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      getConfig(dir: string, path: string, extra: null): Promise<unknown>;
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const loaded = await getConfig(ROOT, configPath, null);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage and deb, NSIS and dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it("packages the built bundles that package.json's main and the window load", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.cjs');
    for (const f of ['out/main/**', 'out/preload/**', 'out/renderer/**']) expect(config.files).toContain(f);
    for (const f of ['!models/**', '!electron/**', '!tests/**', '!**/*.map']) expect(config.files).toContain(f);
    // The bundles exist after `npm run build`, with the names main uses.
    for (const f of ['out/main/index.cjs', 'out/main/engine-host.mjs', 'out/preload/index.cjs']) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it('unpacks onnxruntime-node and sharp (with their shared libraries) from the asar', () => {
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/**');
    expect(config.asarUnpack).toContain('node_modules/sharp/**');
    expect(config.asarUnpack).toContain('node_modules/@img/**');
  });

  it('ships the default pack as extraResources and never the training code', () => {
    const models = config.extraResources.find((r) => r.from === 'models')!;
    expect(models.to).toBe('models');
    expect(models.filter).toContain('default/**');
    expect(models.filter).toContain('!training/**');
    expect(models.filter).toContain('!**/*.py');
    expect(models.filter).not.toContain('tiny/**');
  });
});
