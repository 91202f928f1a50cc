/**
 * The project file (issue 10): Save project writes a `.vqddm` with the photo as opened, its mask, applied
 * results (undoable), results history and settings; opened in a fresh browser profile, the session is
 * back as it was. A damaged file is refused with a message. Screenshots: artifacts/e2e/project-*.png;
 * docs/images/project-file.png is project-docs.png.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { ARTIFACTS, FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

async function pixels(png: Buffer): Promise<Buffer> {
  return sharp(png).ensureAlpha().raw().toBuffer();
}

async function savePng(ed: EditorPage, name: string): Promise<Buffer> {
  return pixels(await ed.savePng(name));
}

describe.skipIf(skipWithoutChromium())('project file (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();

  async function editor(): Promise<EditorPage> {
    const ed = await EditorPage.load(await env.newContext(), env.server.url);
    return ed;
  }

  it('saves a session as a .vqddm and opens it again whole, in another browser profile', async () => {
    const ed = await editor();
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    const original = await savePng(ed, 'project-original.png');
    await page.getByLabel('Steps (VQ-DDM)').fill('7');
    await page.getByLabel('Steps (VQ-DDM)').press('Tab');
    await ed.brush([[0.3, 0.4], [0.5, 0.45]]);
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-transformer').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await ed.brush([[0.6, 0.2], [0.7, 0.3]]); // a mask after the applied result
    const edited = await savePng(ed, 'project-edited.png');
    const mask = await pixels(await ed.download(() => ed.saveMenu('Export mask'), 'project-mask.png'));
    const results = page.getByRole('listbox', { name: 'Results' }).getByRole('option');
    const labels = await results.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(labels).toHaveLength(2);

    await page.getByRole('button', { name: 'Save…' }).click();
    const project = await ed.download(() => page.getByRole('button', { name: 'Save project (.vqddm)' }).click(), 'project.vqddm');
    expect(project.subarray(0, 2).toString()).toBe('PK');
    await page.context().close();

    // another profile: no recovery copy to restore from, only the file
    const again = await editor();
    const p2 = again.page;
    await again.open(join(ARTIFACTS, 'project.vqddm'));
    await expect.poll(() => p2.title()).toMatch(/^photo\.jpg/); // saved as PNG after the last edit: no ●
    await p2.getByText('Opened the project of photo.jpg').waitFor();
    expect(await p2.getByRole('listbox', { name: 'Results' }).getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual(labels);
    expect(await p2.getByLabel('Steps (VQ-DDM)').inputValue()).toBe('7');
    await again.shot('project-01-reopened');
    await sharp(join(ARTIFACTS, 'project-01-reopened.png')).resize(1200).png({ palette: true }).toFile(join(ARTIFACTS, 'project-docs.png'));
    expect(Buffer.compare(await savePng(again, 'project-reopened.png'), edited)).toBe(0);
    expect(Buffer.compare(await pixels(await again.download(() => again.saveMenu('Export mask'), 'project-mask-reopened.png')), mask)).toBe(0);
    // the history came back: undoing the stroke and the applied result gives the photo as opened
    await p2.keyboard.press('Control+z');
    await p2.keyboard.press('Control+z');
    expect(Buffer.compare(await savePng(again, 'project-undone.png'), original)).toBe(0);
    // and a history entry can be applied again
    await p2.getByRole('listbox', { name: 'Results' }).getByRole('option').first().dblclick();
    expect(Buffer.compare(await savePng(again, 'project-reapplied.png'), original)).not.toBe(0);

    // a damaged project is refused, saying why
    const bytes = await readFile(join(ARTIFACTS, 'project.vqddm'));
    const damaged = Buffer.from(bytes);
    damaged[200] = damaged[200]! ^ 0xff; // inside project.json or the photo: its checksum no longer holds
    await writeFile(join(ARTIFACTS, 'damaged.vqddm'), damaged);
    await again.open(join(ARTIFACTS, 'damaged.vqddm'));
    await p2.getByText(/damaged\.vqddm: Not a readable project file: .* is damaged \(checksum\)/).waitFor();
    await again.open({ name: 'cut.vqddm', mimeType: 'application/zip', buffer: bytes.subarray(0, 1000) });
    await p2.getByText(/cut\.vqddm: Not a readable project file: its table of contents is missing/).waitFor();
    await p2.context().close();
  });
});
