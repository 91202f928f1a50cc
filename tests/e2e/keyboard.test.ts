/**
 * Keyboard and accessibility (issue 10): Space pans only while the photo has the focus, focus is visible,
 * Escape closes what is open, and axe-core finds no serious or critical violation in the editor's states.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { EditorPage } from './editorPage.js';
import { FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now, one line each. */
async function axeProblems(page: Page): Promise<string[]> {
  // evaluate, not a script tag: the page's CSP refuses inline scripts
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`)) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe.skipIf(skipWithoutChromium())('keyboard and accessibility (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();
  let context: BrowserContext;

  async function newEditor(): Promise<EditorPage> {
    context = await env.newContext();
    return EditorPage.load(context, env.server.url);
  }

  it('pans on Space only while the photo has the focus', async () => {
    const ed = await newEditor();
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    const panning = () => ed.canvas.evaluate((el) => el.classList.contains('panning'));
    const x = async () => Number(await ed.canvas.getAttribute('data-x'));

    // a focused slider keeps Space (the editor does not switch to panning)
    await page.getByLabel(/^Size/).focus();
    await page.keyboard.down('Space');
    expect(await panning()).toBe(false);
    await page.keyboard.up('Space');

    // the photo is one Tab stop: with the focus there, Space + drag pans and paints nothing
    await ed.canvas.focus();
    expect(await page.evaluate('document.activeElement.dataset.testid')).toBe('editor-canvas');
    const before = await x();
    await page.keyboard.down('Space');
    expect(await panning()).toBe(true);
    const a = await ed.at(0.4, 0.5);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(a.x + 60, a.y, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Space');
    expect(await panning()).toBe(false);
    expect(await x()).toBeCloseTo(before + 60, 0);
    expect(await page.title()).toMatch(/^photo\.jpg/); // no ●: nothing painted

    // a press on the photo gives it the focus: Space then pans there too
    await page.getByLabel('Cells').focus();
    await ed.brush([[0.2, 0.2], [0.25, 0.25]]);
    expect(await page.evaluate('document.activeElement.dataset.testid')).toBe('editor-canvas');
    await page.keyboard.down('Space');
    expect(await panning()).toBe(true);
    await page.keyboard.up('Space');
    await context.close();
  });

  it('shows where the focus is', async () => {
    const ed = await newEditor();
    const { page } = ed;
    await page.getByRole('button', { name: 'Open…' }).focus();
    await page.keyboard.press('Tab'); // keyboard focus: :focus-visible applies
    const ring = (await page.evaluate(`(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor };
    })()`)) as { style: string; width: number; colour: string };
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it('has no serious or critical axe-core violations: empty, with a photo, Save open, shortcuts, after a fill', async () => {
    const ed = await newEditor();
    const { page } = ed;
    const problems: string[] = [];
    const check = async (state: string) => problems.push(...(await axeProblems(page)).map((p) => `${state}: ${p}`));
    await check('empty editor');
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    await ed.brush([[0.35, 0.4], [0.5, 0.45]]);
    await check('photo and mask');
    await page.getByRole('button', { name: 'Save…' }).click();
    await check('Save popover');
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await check('shortcuts sheet');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-transformer').waitFor({ timeout: 120_000 });
    await check('compare view and results history');
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await check('applied result');
    expect(problems).toEqual([]);
    await context.close();
  });
});
