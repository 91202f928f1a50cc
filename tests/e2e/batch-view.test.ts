/**
 * The Batch view in a real browser against serve mode on the tiny pack, with a stand-in HOME holding
 * small generated photos and masks: folders chosen from the serving machine's listing (and refused
 * outside the home folder), the preview with a problem flagged, a run with its progress, stop, resume,
 * picks and "Export picks". Screenshots go to artifacts/e2e/batch-*.png.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, skipWithoutChromium, startServe, TINY_PACK, type ServeProcess } from './harness.js';

const W = 320;
const H = 240;
const COUNT = 8;
/** Photo 3 has no mask: the preview flags it and the run fails it alone. */
const NO_MASK = 3;

/** A small photo: a gradient sky, ground, a sun and an object (the mask's rectangle) to remove. */
async function photo(i: number, path: string): Promise<void> {
  const data = Buffer.alloc(W * H * 3);
  const hue = (i * 47) % 360;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const ground = y > H * 0.6;
      const t = y / H;
      let [r, g, b] = ground ? [70 + 40 * Math.sin(x / 9 + i), 110 + 30 * Math.cos(y / 7), 60] : [120 + 100 * t, 160 + 60 * t, 230 - 40 * t];
      if ((x - 60 - i * 20) ** 2 + (y - 50) ** 2 < 400) [r, g, b] = [250, 220, 90];
      if (x >= 150 && x < 200 && y >= 110 && y < 170) [r, g, b] = [40 + hue / 3, 30, 200 - hue / 3];
      const n = ((x * 7919 + y * 104729 + i * 31) % 13) - 6;
      data[o] = Math.max(0, Math.min(255, r + n));
      data[o + 1] = Math.max(0, Math.min(255, g + n));
      data[o + 2] = Math.max(0, Math.min(255, b + n));
    }
  }
  const img = sharp(data, { raw: { width: W, height: H, channels: 3 } });
  await (path.endsWith('.jpg') ? img.jpeg({ quality: 90 }) : img.png()).toFile(path);
}

async function mask(path: string): Promise<void> {
  const data = Buffer.alloc(W * H);
  for (let y = 104; y < 176; y++) data.fill(255, y * W + 144, y * W + 206);
  await sharp(data, { raw: { width: W, height: H, channels: 1 } }).png().toFile(path);
}

/** A locator's text with its white space run together. */
const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `batch-${name}.png`) });

describe.skipIf(skipWithoutChromium())('Batch view (Chromium, serve mode)', () => {
  const home = mkdtempSync(join(tmpdir(), 'vqddm-home-'));
  const photos = join(home, 'shoot', 'photos');
  const masks = join(home, 'shoot', 'masks');
  const out = join(home, 'shoot', 'filled');
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(photos, { recursive: true });
    mkdirSync(masks, { recursive: true });
    for (let i = 0; i < COUNT; i++) {
      await photo(i, join(photos, `street-${i}.${i % 2 ? 'jpg' : 'png'}`));
      if (i !== NO_MASK) await mask(join(masks, `street-${i}.png`));
    }
    server = await startServe(['--pack', TINY_PACK], { HOME: home, VQDDM_CACHE_DIR: join(tmpdir(), 'vqddm-studio-test-cache') });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(server.url);
    await page.getByTestId('pack-info').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('folders: picked from the home folder\'s listing; a folder outside it is refused, saying why', async () => {
    // Every step of VQ-DDM, so an item takes long enough to watch (the tiny pack's T is 20).
    await page.getByLabel('Steps (VQ-DDM)').fill('20');
    await page.getByLabel('Steps (VQ-DDM)').press('Tab');
    await page.getByRole('button', { name: 'Batch: whole folders…' }).click();
    const view = page.getByRole('region', { name: 'Batch', exact: true });
    await view.waitFor();

    await page.getByLabel('Photos folder', { exact: true }).fill('/etc');
    await page.getByLabel('Photos folder', { exact: true }).press('Tab');
    await page.getByLabel('Masks folder', { exact: true }).fill(masks);
    await page.getByLabel('Output folder', { exact: true }).fill('~/shoot/filled');
    await page.getByLabel('Output folder', { exact: true }).press('Tab');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => text(view.getByRole('alert'))).toMatch(/The photos folder \/etc is outside your home folder .*: in the browser, the batch may use only folders inside it/);
    await shot(page, '01-outside-home');
    await view.getByRole('button', { name: 'Dismiss' }).click();

    // The picker opens at the home folder (the typed /etc is refused there too), one level at a time.
    await page.getByRole('button', { name: 'Choose photos folder' }).click();
    const picker = page.getByRole('dialog', { name: 'Choose the photos folder' });
    await expect.poll(() => text(picker.getByRole('alert'))).toMatch(/outside your home folder/);
    await expect.poll(() => picker.getByText(`in ${home}`).count()).toBe(1);
    expect(await picker.getByRole('button', { name: /Up/ }).count()).toBe(0);
    await picker.getByRole('button', { name: /shoot/ }).click();
    await picker.getByRole('button', { name: /photos/ }).click();
    await expect.poll(() => picker.getByText(`${COUNT} images in ${photos}`).count()).toBe(1);
    await shot(page, '02-picker');
    await picker.getByRole('button', { name: 'Use this folder' }).click();
    expect(await page.getByLabel('Photos folder', { exact: true }).inputValue()).toBe(photos);
  });

  it('the preview lists every pair with thumbnails and flags the photo without a mask', async () => {
    await page.getByRole('button', { name: 'Preview' }).click();
    const summary = page.getByTestId('preview-summary');
    await expect.poll(() => text(summary)).toMatch(/7 ready · 0 done before · 1 with problems/);
    const pairs = page.getByRole('list', { name: 'Pairs' }).getByRole('listitem');
    expect(await pairs.count()).toBe(COUNT);
    const problem = page.locator(`.pair[data-item="street-${NO_MASK}.jpg"]`);
    expect(await problem.getAttribute('data-status')).toBe('problem');
    expect(await text(problem)).toMatch(/no mask: nothing named street-3\.<png\|jpg\|webp\|\.\.\.> in/);
    // Thumbnails of photo and mask arrive from the engine.
    await expect.poll(() => page.locator('.pair[data-item="street-0.png"] img').count()).toBe(2);
    await expect.poll(() => page.locator('.pair img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)).toBeGreaterThanOrEqual(14);
    expect(readdirSync(join(home, 'shoot')).sort()).toEqual(['masks', 'photos']); // nothing written
    await shot(page, '03-preview');
  });

  it('a run: step progress and overall progress with elapsed time and an estimate; stop; resume goes on where it stopped', async () => {
    await page.getByRole('button', { name: 'Start' }).click();
    const status = page.getByTestId('batch-status');
    const counts = page.getByTestId('batch-counts');
    await expect.poll(() => text(status), { timeout: 60_000 }).toMatch(/street-\d\.(png|jpg) — (VQ-DDM: step \d+ of 20|Transformer: tokens \d+ of \d+)/);
    await expect.poll(() => page.locator('.card[data-state="done"]').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => text(counts)).toMatch(/[1-7] of 8 items · .*\d:\d\d elapsed · about \d:\d\d left/);
    await shot(page, '04-running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => text(status), { timeout: 60_000 }).toMatch(/you stopped the run/);
    const doneAtStop = await page.locator('.card[data-state="done"]').count();
    expect(doneAtStop).toBeGreaterThanOrEqual(1);
    expect(doneAtStop).toBeLessThan(COUNT - 1);
    expect(await page.locator('.card[data-state="running"]').count()).toBe(0);
    await shot(page, '05-stopped');

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => text(status), { timeout: 120_000 }).toMatch(/Finished: \d+ items? done, 1 failed, \d+ done before/);
    expect(await text(counts)).toMatch(new RegExp(`· 1 failed · ${doneAtStop} done before`));
    expect(await page.locator('.card[data-state="earlier"]').count()).toBe(doneAtStop);
    expect(await page.locator('.card[data-state="done"]').count()).toBe(COUNT - 1 - doneAtStop);
    const failed = page.locator(`.card[data-item="street-${NO_MASK}.jpg"]`);
    expect(await failed.getAttribute('data-state')).toBe('failed');
    expect(await text(failed)).toMatch(/no mask/);
    expect(await page.getByRole('button', { name: 'Retry failed (1)' }).count()).toBe(1);
    // Each unit once in the record: nothing done twice.
    const lines = readFileSync(join(out, 'batch.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { item: string; method: string; status: string });
    for (let i = 0; i < COUNT; i++) {
      if (i === NO_MASK) continue;
      for (const m of ['vqddm', 'transformer']) expect(lines.filter((l) => l.item.startsWith(`street-${i}.`) && l.method === m && l.status === 'done'), `${i} ${m}`).toHaveLength(1);
    }
    // JPEG stays JPEG, PNG stays PNG.
    expect(readdirSync(out).filter((f) => f.startsWith('street-1.')).sort()).toEqual(['street-1.transformer.jpg', 'street-1.vqddm.jpg']);
    expect(readdirSync(out).filter((f) => f.startsWith('street-0.')).sort()).toEqual(['street-0.transformer.png', 'street-0.vqddm.png']);
  });

  it('results side by side; picks go into the record; "Export picks" writes only the picked results', async () => {
    const grid = page.getByRole('list', { name: 'Results' });
    await expect.poll(() => grid.locator('.card[data-item="street-0.png"] img').count()).toBe(2);
    await page.getByRole('button', { name: 'Transformer is better for street-0.png' }).click();
    await page.getByRole('button', { name: 'VQ-DDM is better for street-1.jpg' }).click();
    await page.getByRole('button', { name: 'VQ-DDM is better for street-2.png' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Transformer is better for street-0.png' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByRole('button', { name: 'VQ-DDM is better for street-2.png' }).getAttribute('aria-pressed')).toBe('true');
    // A second press takes the mark back.
    await page.getByRole('button', { name: 'VQ-DDM is better for street-2.png' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'VQ-DDM is better for street-2.png' }).getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByRole('button', { name: `VQ-DDM is better for street-${NO_MASK}.jpg` }).isDisabled()).toBe(true);
    await expect.poll(() => grid.locator('.card img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)).toBeGreaterThanOrEqual(2 * (COUNT - 1));
    await shot(page, '06-results');

    const picks = readFileSync(join(out, 'batch.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { item: string; pick?: string | null }).filter((l) => 'pick' in l);
    expect(picks.map((l) => [l.item, l.pick])).toEqual([['street-0.png', 'transformer'], ['street-1.jpg', 'vqddm'], ['street-2.png', 'vqddm'], ['street-2.png', null]]);

    await page.getByRole('button', { name: 'Export picks (2)' }).click();
    await expect.poll(() => text(page.locator('.notice-banner'))).toMatch(new RegExp(`Exported 2 files to ${join(out, 'picks')}`));
    expect(readdirSync(join(out, 'picks')).sort()).toEqual(['picks.json', 'street-0.transformer.png', 'street-1.vqddm.jpg']);
    expect(readFileSync(join(out, 'picks', 'street-1.vqddm.jpg'))).toEqual(readFileSync(join(out, 'street-1.vqddm.jpg')));

    // Enlarged: the photo and both results, large, with the same marks.
    await page.getByRole('button', { name: 'Enlarge street-0.png' }).first().click();
    const large = page.getByRole('dialog', { name: 'Compare street-0.png' });
    await expect.poll(() => large.locator('img').count()).toBe(3);
    await shot(page, '07-enlarged');
    await large.getByRole('button', { name: 'Close' }).click();
  });

  it('a reloaded page finds the batch again', async () => {
    await page.reload();
    await page.getByTestId('pack-info').waitFor();
    await page.getByRole('button', { name: 'Batch: whole folders…' }).click();
    await expect.poll(() => text(page.getByTestId('batch-status'))).toMatch(/Finished/);
    await page.getByRole('tab', { name: /Results/ }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Transformer is better for street-0.png' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Photos folder', { exact: true }).inputValue()).toBe(photos);
  });

  it('the photo open in the editor joins a batch as opened, with the mask painted over it', async () => {
    const painted = join(home, 'painted');
    mkdirSync(join(painted, 'photos'), { recursive: true });
    mkdirSync(join(painted, 'masks'), { recursive: true });
    await page.getByRole('button', { name: 'Back to the editor' }).click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open…' }).click();
    await (await chooser).setFiles(join(photos, 'street-3.jpg'));
    await expect.poll(() => page.title()).toContain('street-3.jpg');
    await page.getByRole('radio', { name: 'Brush' }).click();
    const canvas = page.getByTestId('editor-canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.55, { steps: 8 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Batch: whole folders…' }).click();
    await page.getByLabel('Photos folder', { exact: true }).fill(join(painted, 'photos'));
    await page.getByLabel('Photos folder', { exact: true }).press('Tab');
    await page.getByLabel('Masks folder', { exact: true }).fill(join(painted, 'masks'));
    await page.getByLabel('Masks folder', { exact: true }).press('Tab');
    await page.getByLabel('Output folder', { exact: true }).fill(join(painted, 'filled'));
    await page.getByLabel('Output folder', { exact: true }).press('Tab');
    await page.getByRole('button', { name: "Add the editor's photo and mask" }).click();
    await expect.poll(() => text(page.getByTestId('preview-summary'))).toMatch(/1 ready · 0 done before · 0 with problems/);
    // The photo joins as the file it was opened from: the JPEG itself, byte for byte (its results stay JPEGs).
    expect(readdirSync(join(painted, 'photos'))).toEqual(['street-3.jpg']);
    expect(readFileSync(join(painted, 'photos', 'street-3.jpg')).equals(readFileSync(join(photos, 'street-3.jpg')))).toBe(true);
    expect(readdirSync(join(painted, 'masks'))).toEqual(['street-3.png']);
    const m = await sharp(join(painted, 'masks', 'street-3.png')).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([m.info.width, m.info.height]).toEqual([W, H]);
    expect(m.data.filter((v) => v >= 128).length).toBeGreaterThan(100);
    await shot(page, '08-added-from-editor');
  });
});
