import { it } from 'vitest';
import { join } from 'node:path';
import { launchBrowser, startServe, ROOT } from './harness.js';
import { EditorPage } from './editorPage.js';

it('user check', async () => {
  const s = await startServe(['--pack', join(ROOT, 'models/default')]);
  const browser = await launchBrowser();
  try {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const ed = await EditorPage.load(ctx, s.url);
    await ed.open(join(ROOT, 'models/training/runs/fullres/cases/photo16.png'));
    await ed.setSize(120);
    await ed.brush([[0.3, 0.45], [0.5, 0.45], [0.7, 0.45]]);
    await ed.brush([[0.3, 0.6], [0.5, 0.6], [0.7, 0.6]]);
    const t0 = Date.now();
    await ed.page.getByRole('button', { name: 'Fill', exact: true }).click();
    await ed.page.waitForTimeout(1500);
    await ed.page.screenshot({ path: '/tmp/u/uc-progress.png' });
    await ed.page.locator('[data-testid="panel-transformer"] img, [data-testid="panel-transformer"] canvas').first().waitFor({ timeout: 120000 });
    console.log('both results after', Date.now() - t0, 'ms');
    await ed.page.waitForTimeout(500);
    await ed.page.screenshot({ path: '/tmp/u/uc-done.png' });
  } finally {
    await browser.close();
    await s.stop();
  }
}, 300000);
