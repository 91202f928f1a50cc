/**
 * A pack's own sampling defaults (manifest `diffusion.default_truncation`, `transformer.default_top_k`,
 * with `default_steps`): the settings panel follows the loaded pack's values for what the person has not
 * set, keeps what they set across a pack switch, gives it back to the pack on Reset, and the fill runs
 * with the values shown. Serve mode in Chromium, the tiny pack and a copy of it stating other defaults.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { EditorPage } from './editorPage.js';
import { FIXTURE, launchBrowser, skipWithoutChromium, startServe, TINY_PACK, type ServeProcess } from './harness.js';

describe.skipIf(skipWithoutChromium())('pack sampling defaults (Chromium, serve mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vqddm-pack-defaults-'));
  let server: ServeProcess;
  let browser: Browser;

  beforeAll(async () => {
    const stated = join(dir, 'stated');
    cpSync(TINY_PACK, stated, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(stated, 'manifest.json'), 'utf8'));
    manifest.name = 'stated';
    manifest.diffusion.default_steps = 4;
    manifest.diffusion.default_truncation = 0.6;
    manifest.transformer.default_top_k = 7;
    writeFileSync(join(stated, 'manifest.json'), JSON.stringify(manifest));
    server = await startServe(['--pack', TINY_PACK, '--packs', dir]);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each pack its own defaults, keeps what the person set, and fills with the values shown', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const ed = await EditorPage.load(context, server.url);
    const { page } = ed;
    const steps = page.getByLabel('Steps (VQ-DDM)');
    const truncation = page.getByLabel('Truncation r (VQ-DDM)');
    const topK = page.getByLabel('Top-k (transformer, 0 = all)');
    // the tiny pack states only its steps: the others are the schema's defaults
    expect([await steps.inputValue(), await truncation.inputValue(), await topK.inputValue()]).toEqual(['10', '1', '100']);

    await topK.fill('20');
    await topK.press('Tab');
    await page.getByLabel('Pack folder on the server').fill('stated');
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await expect.poll(() => page.getByTestId('pack-info').textContent()).toContain('stated');
    // the pack's own values, but top-k stays the person's
    await expect.poll(() => truncation.inputValue()).toBe('0.6');
    expect(await steps.inputValue()).toBe('4');
    expect(await topK.inputValue()).toBe('20');

    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toContain('photo.jpg');
    await page.getByRole('radio', { name: 'Brush' }).click();
    await ed.setSize(30);
    await ed.brush([[0.35, 0.4], [0.6, 0.55]]);
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-transformer').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('info-vqddm').textContent()).toContain('steps 4, truncation 0.6');
    await expect.poll(() => page.getByTestId('info-transformer').textContent()).toContain('top-k 20');

    await page.getByRole('button', { name: 'Reset settings' }).click();
    await expect.poll(() => topK.inputValue()).toBe('7');
    expect(await truncation.inputValue()).toBe('0.6');
    await ed.shot('pack-defaults');
    await context.close();
  });
});
