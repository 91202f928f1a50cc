/**
 * The results history under the photo, in a real browser against serve mode on the tiny pack: every
 * sample of every fill stays through Apply, undo and Fill again; an older one is re-applied from the
 * keyboard (its own pixels, where its own mask was, whatever the mask is now), two are compared and
 * exported as a sheet, one is dismissed, and another photo starts a new history. Screenshots go to
 * artifacts/e2e/history-*.png; docs/images/results-history.png is history-02-compare.png at 1200x750,
 * docs/images/restore-prompt.png is restore-docs.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { ARTIFACTS, FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

async function pixels(png: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Saves the photo as PNG (exact pixels) through the Save popover. */
async function savePng(ed: EditorPage, name: string) {
  return pixels(await ed.savePng(name));
}

describe.skipIf(skipWithoutChromium())('results history (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();

  it('keeps every sample of every fill, re-applies an older one exactly, compares two, exports their sheet, dismisses one', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await page.getByLabel('Samples per method').fill('2');
    await page.getByLabel('Samples per method').press('Tab');
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toContain('photo.jpg');
    const strip = page.getByRole('region', { name: 'Results history' });
    expect(await strip.count()).toBe(0); // nothing to show before the first fill
    const baseline = await savePng(ed, 'history-baseline.png');
    await page.getByRole('radio', { name: 'Brush' }).click();
    await ed.setSize(30);
    // a diagonal stroke: its box has corners outside it
    await ed.brush([[0.3, 0.3], [0.5, 0.55]]);
    const maskA = await pixels(await ed.download(() => ed.saveMenu('Export mask'), 'history-mask-a.png'));

    const compare = page.getByLabel('Compare results');
    const seedField = page.getByLabel('Seed', { exact: true });
    /** Runs a fill to its end (the compare view opens on it) and gives its seed. */
    const filled = async (start: () => Promise<void>) => {
      await start();
      await compare.waitFor({ state: 'detached' }); // a fill closes the comparison first
      await page.getByTestId('panel-transformer').waitFor({ timeout: 150_000 });
      return Number(await seedField.inputValue());
    };
    const seed1 = await filled(() => page.getByRole('button', { name: 'Fill', exact: true }).click());
    const seed2 = await filled(() => page.getByRole('button', { name: 'Fill again (new seed)' }).click());
    expect(seed2).not.toBe(seed1);
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await page.keyboard.press('Control+z');
    const seed3 = await filled(() => page.getByRole('button', { name: 'Fill', exact: true }).click());
    await page.getByRole('button', { name: 'Close compare' }).click();
    // A small fill inside the first stroke's box but off the stroke, applied: re-applying an entry of
    // the first stroke must keep it.
    await page.getByRole('button', { name: 'Clear mask' }).click();
    await ed.setSize(8);
    await ed.brush([[0.5, 0.26], [0.53, 0.27]]);
    const maskB = await pixels(await ed.download(() => ed.saveMenu('Export mask'), 'history-mask-b.png'));
    const seed4 = await filled(() => page.getByRole('button', { name: 'Fill', exact: true }).click());
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await compare.waitFor({ state: 'detached' });
    const withB = await savePng(ed, 'history-with-b.png');
    // and the mask is edited again: painted elsewhere
    await ed.setSize(30);
    await ed.brush([[0.75, 0.15], [0.85, 0.2]]);

    // Every fill, both methods, every sample, each with its own seed (a fill's samples: seed, seed + 1).
    const options = strip.getByRole('option');
    const expected = [seed1, seed2, seed3, seed4].flatMap((seed, f) =>
      ['VQ-DDM', 'Transformer'].flatMap((m) => [0, 1].map((k) => `Fill ${f + 1}, ${m} sample ${k + 1} of 2, seed ${(seed + k) >>> 0}`)),
    );
    expect(await options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual(expected);
    expect(await strip.getByRole('group').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.split(',')[0]))).toEqual(['Fill 1', 'Fill 2', 'Fill 3', 'Fill 4']);
    await ed.shot('history-01-strip');

    // Pick an older entry and another one (click, Ctrl+click), and compare them in the compare view.
    const older = strip.getByRole('option', { name: `Fill 1, VQ-DDM sample 2 of 2, seed ${(seed1 + 1) >>> 0}`, exact: true });
    const other = strip.getByRole('option', { name: `Fill 2, VQ-DDM sample 1 of 2, seed ${seed2}`, exact: true });
    await older.click();
    await other.click({ modifiers: ['Control'] });
    expect([await older.getAttribute('aria-selected'), await other.getAttribute('aria-selected')]).toEqual(['true', 'true']);
    expect(await strip.getByText('2 picked').count()).toBe(1);
    await strip.getByRole('button', { name: 'Compare', exact: true }).click();
    const [olderId, otherId] = [await older.getAttribute('data-entry-id'), await other.getAttribute('data-entry-id')];
    await compare.getByTestId(`panel-entry-${olderId}`).waitFor();
    await compare.getByTestId(`panel-entry-${otherId}`).waitFor();
    expect(await compare.getByTestId('panel-vqddm').count()).toBe(0);
    await expect.poll(() => compare.getByTestId(`entry-info-${olderId}`).textContent()).toContain(`seed ${(seed1 + 1) >>> 0}`);
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor({ state: 'detached' }); // the notice fades
    await ed.shot('history-02-compare');
    await sharp(join(ARTIFACTS, 'history-02-compare.png')).resize(1200).png({ palette: true }).toFile(join(ARTIFACTS, 'history-docs.png'));

    // A sheet of the two: photo, mask, then each as applying it would leave the photo now (here at 1:1).
    const sheetPng = await ed.download(() => strip.getByRole('button', { name: 'Export as sheet' }).click(), 'history-sheet.png');
    const sheet = await pixels(sheetPng);
    const [w, h] = [baseline.width, baseline.height];
    expect([sheet.width, sheet.height]).toEqual([16 + 4 * (w + 16), 16 + h + 44 + 16]);
    const tile = (i: number) => sharp(sheetPng).extract({ left: 16 + i * (w + 16), top: 16, width: w, height: h }).ensureAlpha().raw().toBuffer();
    const olderTile = await tile(2);

    // Keyboard: arrows move among the entries, Enter re-applies the older one.
    await other.click();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(await older.getAttribute('aria-label'));
    await page.keyboard.press('Enter');
    await compare.waitFor({ state: 'detached' });
    const reapplied = await savePng(ed, 'history-reapplied.png');
    // Exactly the sheet's tile: the entry's pixels where fill 1's mask was; the small fill applied
    // since stays (it is in the entry's box, off its mask); the mask painted since is not filled.
    expect(Buffer.compare(reapplied.data, olderTile)).toBe(0);
    const px = (img: { data: Buffer }, i: number) => img.data.subarray(i * 4, i * 4 + 4);
    let inA = 0, inB = 0;
    const elsewhere: number[] = [];
    for (let i = 0; i < w * h; i++) {
      if (maskA.data[i * 4]! >= 128) inA += px(reapplied, i).equals(px(baseline, i)) ? 0 : 1;
      else if (maskB.data[i * 4]! >= 128) inB += px(reapplied, i).equals(px(withB, i)) && !px(withB, i).equals(px(baseline, i)) ? 1 : 0;
      else if (!px(reapplied, i).equals(px(baseline, i))) elsewhere.push(i);
    }
    expect(inA).toBeGreaterThan(100);
    expect(inB).toBeGreaterThan(5);
    expect(elsewhere.slice(0, 5), 'pixels outside both masks changed').toEqual([]);
    // one undo step, like any applied result
    await page.keyboard.press('Control+z');
    expect(Buffer.compare((await savePng(ed, 'history-undone.png')).data, withB.data)).toBe(0);

    // Space picks from the keyboard; Delete dismisses, and the focus moves to the next entry.
    await other.click();
    await page.keyboard.press('Delete');
    await expect.poll(() => options.count()).toBe(15);
    expect(await other.count()).toBe(0);
    const next = `Fill 2, VQ-DDM sample 2 of 2, seed ${(seed2 + 1) >>> 0}`;
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(next);
    await page.keyboard.press('Space');
    expect(await strip.getByRole('option', { name: next, exact: true }).getAttribute('aria-selected')).toBe('true');
    await strip.getByRole('button', { name: 'Dismiss', exact: true }).click();
    await expect.poll(() => options.count()).toBe(14);

    // Another photo (no question: the photo was just saved): a new history.
    const photo2 = { name: 'other.png', mimeType: 'image/png', buffer: await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } }).png().toBuffer() };
    await ed.open(photo2);
    await expect.poll(() => page.title()).toMatch(/^other\.png/);
    expect(await strip.count()).toBe(0);
    await context.close();
  });

  it('keeps the results history in the recovery copy: restored after a reload with the prompt, its pixels exact', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toContain('photo.jpg');
    const baseline = await savePng(ed, 'history-reload-baseline.png');
    await ed.setSize(30);
    await ed.brush([[0.3, 0.3], [0.5, 0.55]]);
    const strip = page.getByRole('region', { name: 'Results history' });
    const options = strip.getByRole('option');
    const compare = page.getByLabel('Compare results');
    for (const name of ['Fill', 'Fill again (new seed)']) {
      await page.getByRole('button', { name, exact: true }).click();
      await compare.waitFor({ state: 'detached' });
      await page.getByTestId('panel-transformer').waitFor({ timeout: 150_000 });
    }
    await page.getByRole('button', { name: 'Close compare' }).click();
    await expect.poll(() => options.count()).toBe(4);
    const labels = await options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    // an older entry re-applied: the photo it gives, then undone
    const first = strip.getByRole('option', { name: labels[0]!, exact: true });
    await first.click();
    await page.keyboard.press('Enter');
    const applied = await savePng(ed, 'history-reload-applied.png');
    expect(Buffer.compare(applied.data, baseline.data)).not.toBe(0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.app').getAttribute('data-autosave'), { timeout: 10_000 }).toBe('saved');

    await page.reload();
    await page.getByTestId('pack-info').waitFor();
    const prompt = page.getByRole('alertdialog', { name: 'Restore your work?' });
    await expect.poll(() => prompt.textContent(), { timeout: 10_000 }).toMatch(/photo\.jpg: 1 edit and 1 to redo, 4 results in the results history, kept at/);
    await ed.shot('history-03-restore-prompt');
    await sharp(join(ARTIFACTS, 'history-03-restore-prompt.png')).resize(1200).png({ palette: true }).toFile(join(ARTIFACTS, 'restore-docs.png'));
    await prompt.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => page.title()).toMatch(/photo\.jpg/);
    // every entry back, in order, with its seed; the older one re-applied gives the same pixels
    await expect.poll(() => options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual(labels);
    await strip.getByRole('option', { name: labels[0]!, exact: true }).click();
    await page.keyboard.press('Enter');
    expect(Buffer.compare((await savePng(ed, 'history-reload-reapplied.png')).data, applied.data)).toBe(0);
    await ed.shot('history-04-restored');
    await context.close();
  });
});
