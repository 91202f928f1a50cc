/** Page object for the editor: what a person does, in role and label terms. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Download, Locator, Page } from 'playwright-core';
import { ARTIFACTS } from './harness.js';

export class EditorPage {
  readonly page: Page;
  readonly canvas: Locator;
  constructor(page: Page) {
    this.page = page;
    this.canvas = page.getByTestId('editor-canvas');
  }

  /**
   * The editor at `url` in a new page of `context`; the page's errors are written to stderr. `before` runs on
   * the page before it loads (listeners or routes that must see its first connection).
   */
  static async load(context: BrowserContext, url: string, before?: (page: Page) => void | Promise<void>): Promise<EditorPage> {
    const ed = new EditorPage(await context.newPage());
    ed.page.on('pageerror', (e) => console.error('page error:', e.message));
    await before?.(ed.page);
    await ed.goto(url);
    return ed;
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('pack-info').waitFor();
  }

  async open(file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    const chooser = this.page.waitForEvent('filechooser');
    await this.page.getByRole('button', { name: 'Open…' }).click();
    await (await chooser).setFiles(file);
  }

  /** Screen position of an image point given as fractions of its width and height. */
  async at(fx: number, fy: number): Promise<{ x: number; y: number }> {
    const box = (await this.canvas.boundingBox())!;
    const d = await this.canvas.evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
    const z = Number(d.zoom), w = Number(d.width), h = Number(d.height);
    return { x: box.x + Number(d.x) + fx * w * z, y: box.y + Number(d.y) + fy * h * z };
  }

  /** A brush stroke with real mouse events, through points given as image fractions. */
  async brush(points: [number, number][]): Promise<void> {
    const m = this.page.mouse;
    const first = await this.at(...points[0]!);
    await m.move(first.x, first.y);
    await m.down();
    for (const p of points.slice(1)) {
      const s = await this.at(...p);
      await m.move(s.x, s.y, { steps: 8 });
    }
    await m.up();
  }

  async setSize(n: number): Promise<void> {
    await this.page.getByLabel(/^Size/).fill(String(n));
  }

  async download(action: () => Promise<void>, name: string): Promise<Buffer> {
    const dl: Promise<Download> = this.page.waitForEvent('download');
    await action();
    const d = await dl;
    const path = join(ARTIFACTS, name);
    await d.saveAs(path);
    return readFile(path);
  }

  /** Chooses the Save popover's format (a photo is offered in its own format; this choice holds for it). */
  async pickFormat(format: 'png' | 'jpeg' | 'webp'): Promise<void> {
    await this.page.getByRole('button', { name: 'Save…' }).click();
    await this.page.getByLabel('Format').selectOption(format);
    await this.page.keyboard.press('Escape');
  }

  async saveMenu(button: 'Save image' | 'Export mask' | 'Export comparison sheet'): Promise<void> {
    await this.page.getByRole('button', { name: 'Save…' }).click();
    await this.page.getByRole('button', { name: button }).click();
  }

  /** The photo saved as PNG (exact pixels) through the Save popover, whatever format it offers. */
  async savePng(name: string): Promise<Buffer> {
    await this.page.getByRole('button', { name: 'Save…' }).click();
    await this.page.getByLabel('Format').selectOption('png');
    return this.download(() => this.page.getByRole('button', { name: 'Save image' }).click(), name);
  }

  /**
   * Asks to save the (16-bit) photo as JPEG and cancels the 8-bit question: the question's text, and
   * how many downloads started meanwhile.
   */
  async cancelEightBitJpeg(): Promise<{ text: string | null; downloads: number }> {
    let downloads = 0;
    const count = () => downloads++;
    this.page.on('download', count);
    await this.pickFormat('jpeg');
    await this.saveMenu('Save image');
    const dialog = this.page.getByRole('alertdialog', { name: 'Save as JPEG image at 8 bits?' });
    await dialog.waitFor();
    const text = await dialog.textContent();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await new Promise((r) => setTimeout(r, 500));
    this.page.off('download', count);
    return { text, downloads };
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  }
}
