/**
 * The desktop app through Playwright's Electron driver: launch, the window's security settings, and
 * one fill on the tiny pack. Runs only where an Electron binary exists (Electron downloads it on first
 * use; CI here cannot), and says plainly when it is skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EditorPage } from '../e2e/editorPage.js';
import { ARTIFACTS, FIXTURE, ROOT, TINY_PACK } from '../e2e/harness.js';

function electronBinary(): string | null {
  const dir = join(ROOT, 'node_modules', 'electron');
  const pathTxt = join(dir, 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const p = join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(p) ? p : null;
}

const binary = electronBinary();
if (!binary) {
  console.warn('Electron e2e SKIPPED: no Electron binary in node_modules/electron/dist (run `npx install-electron` where downloads work).');
}

describe.skipIf(!binary)('desktop app (Electron)', () => {
  let app: ElectronApplication;
  beforeAll(async () => {
    const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    app = await _electron.launch({ executablePath: binary!, args: [...rootArgs, ROOT, '--pack', TINY_PACK], cwd: ROOT });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('opens one window whose page has no Node, only the bridged api', async () => {
    const page = await app.firstWindow();
    await page.getByTestId('pack-info').waitFor();
    expect(await page.title()).toContain('VQ-DDM Studio');
    const globals = await page.evaluate(() => {
      const g = globalThis as unknown as { require?: unknown; process?: unknown; api?: { fill?: unknown; invoke?: unknown } };
      // With the sandbox, contextIsolation and no nodeIntegration
      // the page has neither `require` nor `process`.
      return { require: typeof g.require, process: typeof g.process, api: typeof g.api?.fill, ipc: typeof g.api?.invoke };
    });
    expect(globals).toEqual({ require: 'undefined', process: 'undefined', api: 'function', ipc: 'undefined' });
    // Navigation away and new windows are refused.
    await page.evaluate(() => (globalThis as unknown as { open(u: string): void }).open('https://example.com'));
    await page.evaluate(() => ((globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com'));
    await page.waitForTimeout(500);
    expect(app.windows()).toHaveLength(1);
    // Served over the privileged app:// scheme, with the CSP as a response header (issue 8 checklist).
    expect(page.url()).toBe('app://bundle/index.html');
    const csp = await page.evaluate(async () => (await fetch('app://bundle/index.html')).headers.get('content-security-policy'));
    expect(csp).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
  });

  it('fills a brushed region with both methods', async () => {
    const page = await app.firstWindow();
    await app.evaluate(({ dialog }, file) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [file] })) as typeof dialog.showOpenDialog;
    }, FIXTURE);
    const ed = new EditorPage(page);
    await page.getByRole('button', { name: 'Open…' }).click();
    await expect.poll(() => page.title()).toContain('photo.jpg');
    await ed.brush([[0.3, 0.4], [0.6, 0.5]]);
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('panel-vqddm').waitFor({ timeout: 120_000 });
    await page.getByTestId('panel-transformer').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'electron-compare.png') });
  });
});
