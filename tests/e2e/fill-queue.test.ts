/**
 * The fill queue (issue 10): Fill while a fill runs puts the new one in line with its own copy of the mask
 * and settings, shown under the progress with a Cancel each; the same fill is not queued twice; waiting
 * fills start one after another, each after the one before has ended. Watched on the page's WebSocket.
 * Screenshots: artifacts/e2e/queue-*.png; docs/images/fill-queue.png is queue-docs.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeFrame } from '../../electron/shared/wire.js';
import { SERVE_WS_PATH } from '../../electron/shared/serveProtocol.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import type { FillRequest } from '../../electron/shared/contract.js';
import { EditorPage } from './editorPage.js';
import { ARTIFACTS, FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

describe.skipIf(skipWithoutChromium())('fill queue (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();

  it('queues Fill while a fill runs, each with its own mask; a waiting one can be canceled', async () => {
    const context = await env.newContext();
    // [job id, masked pixels sent, when] of each fill call; when each job's last event came
    const calls: { jobId: string; masked: number; at: number }[] = [];
    const ended = new Map<string, number>();
    const ed = await EditorPage.load(context, env.server.url, (page) => void page.on('websocket', (ws) => {
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string') return;
        const msg = decodeFrame<RpcMessage>(new Uint8Array(f.payload));
        if (msg.t !== 'call' || msg.op !== 'fill') return;
        const req = msg.args[0] as FillRequest;
        calls.push({ jobId: msg.args[1] as string, masked: req.mask.data.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0), at: performance.now() });
      });
      ws.on('framereceived', (f) => {
        if (typeof f.payload === 'string') return;
        const msg = decodeFrame<RpcMessage>(new Uint8Array(f.payload));
        if (msg.t === 'event' && msg.event.method === null && ['finished', 'canceled', 'error'].includes(msg.event.stage)) ended.set(msg.event.jobId, performance.now());
      });
    }));
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    const fill = page.getByRole('button', { name: 'Fill', exact: true });
    const waiting = page.getByRole('list', { name: /Waiting/ }).getByRole('listitem');

    // a long first fill: 16 samples, each the best of 8
    await page.getByLabel('Samples per method').fill('16');
    await page.getByLabel('Best of (candidates per sample)').fill('8');
    await page.getByLabel('Best of (candidates per sample)').press('Tab');
    await ed.brush([[0.2, 0.3], [0.35, 0.35]]);
    await fill.click();
    await page.getByLabel('Fill progress').waitFor();
    // quick ones behind it
    await page.getByLabel('Samples per method').fill('1');
    await page.getByLabel('Best of (candidates per sample)').fill('1');
    await page.getByLabel('Best of (candidates per sample)').press('Tab');
    await ed.brush([[0.6, 0.6], [0.7, 0.7]]);
    await fill.click();
    await expect.poll(() => waiting.allTextContents()).toEqual([expect.stringMatching(/^Fill 2 · VQ-DDM \+ Transformer · mask [\d,]+ px · 10 steps/)]);
    // the same fill again is not queued twice
    await fill.click();
    await page.getByText('This fill is already running or waiting').waitFor();
    expect(await waiting.count()).toBe(1);
    await ed.brush([[0.6, 0.2], [0.8, 0.25]]);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => waiting.count()).toBe(2);
    await ed.shot('queue-01-waiting');
    await sharp(join(ARTIFACTS, 'queue-01-waiting.png')).resize(1200).png({ palette: true }).toFile(join(ARTIFACTS, 'queue-docs.png'));
    expect(ended.has('fill-1')).toBe(false); // the first fill was still running all along

    await page.getByRole('button', { name: 'Cancel fill 2' }).click();
    await expect.poll(() => waiting.allTextContents()).toEqual([expect.stringMatching(/^Fill 3 · /)]);
    // the comparison opens when the last fill is done; the first one's results are in the history
    await page.getByTestId('panel-transformer').waitFor({ timeout: 170_000 });
    expect(await waiting.count()).toBe(0);
    expect(calls.map((c) => c.jobId)).toEqual(['fill-1', 'fill-3']);
    expect(calls[1]!.at).toBeGreaterThan(ended.get('fill-1')!); // one after the other
    expect(calls[1]!.masked).toBeGreaterThan(calls[0]!.masked); // its own mask: all three strokes
    await expect.poll(() => page.getByRole('listbox', { name: /results/i }).getByRole('option').count()).toBe(34); // 2 x 16 + 2 x 1
    await context.close();
  });

  it('takes a Fill pressed while a waiting fill is being sent, and names every Cancel alike', async () => {
    const context = await env.newContext();
    // Between the page and serve: fill-1's events (so it runs until let through), the engine's answer to
    // fill-2's call and fill-2's events are held back until the test lets them through, so fill-2 is being
    // sent (the page waits for that answer) while the test presses Fill, however fast the engine fills it.
    const held: { release: () => void; what: string; end: boolean }[] = [];
    const hold = new Set(['fill-1 event', 'fill-2 answer', 'fill-2 event']);
    const sentCalls: string[] = [];
    const callJob = new Map<number, string>();
    const ed = await EditorPage.load(context, env.server.url, (page) => page.routeWebSocket((url) => url.pathname === SERVE_WS_PATH, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (typeof m !== 'string') {
          const msg = decodeFrame<RpcMessage>(new Uint8Array(m));
          if (msg.t === 'call' && msg.op === 'fill') {
            callJob.set(msg.id, msg.args[1] as string);
            sentCalls.push(msg.args[1] as string);
          }
        }
        server.send(m);
      });
      server.onMessage((m) => {
        let what = '';
        let end = false;
        if (typeof m !== 'string') {
          const msg = decodeFrame<RpcMessage>(new Uint8Array(m));
          if (msg.t === 'event') {
            what = `${msg.event.jobId} event`;
            end = msg.event.method === null && ['finished', 'canceled', 'error'].includes(msg.event.stage);
          }
          if (msg.t === 'result') what = `${callJob.get(msg.id) ?? ''} answer`;
        }
        if (hold.has(what)) held.push({ what, end, release: () => ws.send(m) });
        else ws.send(m);
      });
    }));
    const { page } = ed;
    const let_through = (what: string) => {
      hold.delete(what);
      for (const h of held.filter((x) => x.what === what)) h.release();
    };
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    const fill = page.getByRole('button', { name: 'Fill', exact: true });
    const waiting = page.getByRole('list', { name: /Waiting/ }).getByRole('listitem');
    const progress = page.getByLabel('Fill progress');

    await ed.brush([[0.2, 0.3], [0.35, 0.35]]);
    await fill.click();
    await ed.brush([[0.6, 0.6], [0.7, 0.7]]);
    await fill.click();
    await expect.poll(() => waiting.count()).toBe(1);
    // the running fill's Cancel is named as each waiting one's
    expect(await progress.getByRole('button', { name: /^Cancel/ }).evaluateAll((els) => els.map((e) => [e.textContent, e.getAttribute('aria-label')]))).toEqual([
      ['Cancel', 'Cancel fill 2'],
      ['Cancel', 'Cancel fill 1'],
    ]);
    await expect.poll(() => held.some((h) => h.what === 'fill-1 event' && h.end), { timeout: 60_000 }).toBe(true);
    let_through('fill-1 event');
    // fill-2 is being sent: the engine's answer is held
    await expect.poll(() => held.some((h) => h.what === 'fill-2 answer'), { timeout: 30_000 }).toBe(true);
    expect(await waiting.count()).toBe(0);
    await ed.brush([[0.6, 0.2], [0.8, 0.25]]);
    await fill.click();
    await expect.poll(() => waiting.allTextContents()).toEqual([expect.stringMatching(/^Fill 3 · /)]);
    // the same again, from the keyboard: named a duplicate, not queued twice
    await page.keyboard.press('Control+Enter');
    await page.getByText('This fill is already running or waiting').waitFor();
    expect(await waiting.count()).toBe(1);
    let_through('fill-2 answer');
    await expect.poll(() => progress.getByRole('button', { name: 'Cancel fill 2' }).count()).toBe(1);
    let_through('fill-2 event');
    await page.getByTestId('panel-transformer').waitFor({ timeout: 120_000 });
    expect(sentCalls).toEqual(['fill-1', 'fill-2', 'fill-3']);
    await context.close();
  });
});
