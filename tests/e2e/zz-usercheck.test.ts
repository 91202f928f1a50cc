import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { EditorPage } from './editorPage.js';
import { ROOT, launchBrowser, startServe, type ServeProcess } from './harness.js';

let serve: ServeProcess;
let browser: Browser;
beforeAll(async () => {
  serve = await startServe(['--pack', join(ROOT, 'models', 'default')]);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  serve?.stop?.();
});

it('user check: brush a person out of the canyon photo', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  const ed = await EditorPage.load(ctx, serve.url);
  await ed.open('/tmp/s/gc2.png');
  await ed.canvas.waitFor();
  await ed.setSize(70);
  await ed.brush([[0.38, 0.55], [0.38, 0.99]]);
  await ed.brush([[0.43, 0.5], [0.43, 0.99]]);
  await ed.brush([[0.47, 0.33], [0.47, 0.99]]);
  await ed.brush([[0.51, 0.33], [0.51, 0.99]]);
  await ed.brush([[0.55, 0.4], [0.55, 0.99]]);
  await ed.brush([[0.6, 0.5], [0.6, 0.99]]);
  await ed.brush([[0.655, 0.55], [0.655, 0.99]]);
  await ed.brush([[0.69, 0.65], [0.69, 0.99]]);
  await ed.brush([[0.28, 0.86], [0.36, 0.76], [0.42, 0.66]]);
  await ed.page.screenshot({ path: '/tmp/s/uc_mask.png' });
  await ed.page.getByRole('button', { name: 'Fill', exact: true }).click();
  await ed.page.locator('[data-testid="panel-transformer"] img, [data-testid="panel-transformer"] canvas').first().waitFor({ timeout: 120_000 });
  await ed.page.waitForTimeout(1500);
  await ed.page.screenshot({ path: '/tmp/s/uc_result.png' });
  const png = await ed.savePng('uc_saved.png');
  writeFileSync('/tmp/s/uc_saved.png', png);
  expect(png.length).toBeGreaterThan(1000);
}, 300_000);
