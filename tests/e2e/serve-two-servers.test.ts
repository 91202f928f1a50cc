/**
 * Two serve instances in one browser profile (the hardening issue: with the token in a cookie, which
 * browsers scope to the host and not the port, the second server's page replaced the first one's token,
 * and the first then refused its page). Each page keeps its own server's token in its sessionStorage,
 * drops it from the address bar, and answers engine calls after the other page has opened and after a
 * reload. Debian's Chromium against two real `out/serve` processes on the tiny pack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EditorPage } from './editorPage.js';
import { launchBrowser, skipWithoutChromium, startServe, type ServeProcess } from './harness.js';

describe.skipIf(skipWithoutChromium())('two serve instances in one browser (Chromium)', () => {
  let a: ServeProcess, b: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    [a, b] = await Promise.all([startServe(), startServe()]);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** The engine answered the page's `info` call: the pack panel shows the pack it returned. */
  const answered = async (page: Page) => expect(await page.getByTestId('pack-info').innerText()).toContain('tiny');

  it('both pages reach their own engine, before and after a reload, and keep their tokens out of the address bar', async () => {
    const pageA = new EditorPage(await context.newPage());
    await pageA.goto(a.url);
    const pageB = new EditorPage(await context.newPage());
    await pageB.goto(b.url); // the second server's page opens after the first one's
    for (const [ed, s] of [[pageA, a], [pageB, b]] as const) {
      await answered(ed.page);
      expect(ed.page.url()).toBe(`${s.origin}/`);
      expect(await ed.page.evaluate("sessionStorage.getItem('vqddm-serve-token')")).toBe(s.token); // a string: no DOM types here
    }
    expect(a.token).not.toBe(b.token);
    expect(await context.cookies()).toEqual([]);
    // A reload opens a new WebSocket with the kept token: the first page still works with the second open.
    for (const ed of [pageA, pageB]) {
      await ed.page.reload();
      await ed.page.getByTestId('pack-info').waitFor();
      await answered(ed.page);
    }
    await pageA.shot('two-servers-a');
    await pageB.shot('two-servers-b');
  });

  it('a page opened without the token says where to get it', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${a.origin}/`);
    await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 30_000 }).toContain('no token for the engine server');
  });
});
