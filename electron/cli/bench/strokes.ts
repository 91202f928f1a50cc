/**
 * Brush strokes on a 24 MP photo in the editor itself: the serve bridge spawned with the built page, Debian's
 * Chromium driven by playwright-core (a dev dependency) painting with real mouse events. Per stroke: the
 * commit (pointer released until the page has drawn the stroke and is free again), the longest handling
 * of one pointermove during the drag, the longest gap between frames during it, and the longest task in
 * the second after the release (work the page defers: the Cells overlay, the recovery copy). Skipped,
 * saying why, without Chromium, playwright-core or the built page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { spawnServe } from './serveProcess.js';
import { median } from './median.js';

export const STROKE_TARGETS = { commit_ms: 100, move_ms: 16 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEWPORT = { width: 1600, height: 1000 };

const round1 = (v: number) => Math.round(v * 10) / 10;

/** One brush's strokes. */
export interface StrokeCase {
  label: string;
  /** The Cells overlay was on (it follows each stroke, read back from the mask after the frame). */
  cells: boolean;
  /** Brush diameter in photo pixels, and its hardness (1 hard, 0 fully feathered). */
  brush_px: number;
  hardness: number;
  strokes: number;
  /** Pointer moves per stroke (each a pointermove event). */
  moves_per_stroke: number;
  commit_ms: number[];
  commit_median_ms: number;
  commit_max_ms: number;
  /** Longest handling of one pointermove, per stroke. */
  move_ms: number[];
  move_max_ms: number;
  /** Longest time between two frames while dragging, per stroke. */
  frame_gap_max_ms: number;
  /** Longest task (PerformanceObserver 'longtask', over 50 ms; 0 when none) in the second after each release. */
  after_release_task_max_ms: number;
}

export interface StrokeBench {
  /** Why nothing was measured; null when it ran. */
  skipped: string | null;
  browser: string | null;
  photo: { width: number; height: number; bytes: number } | null;
  viewport: { width: number; height: number };
  /** The zoom the photo was fitted at (screen pixels per photo pixel). */
  zoom: number | null;
  cases: StrokeCase[];
  /** Worst over the cases: the figures the targets are for. */
  commit_max_ms: number | null;
  move_max_ms: number | null;
  targets: typeof STROKE_TARGETS;
}

export interface StrokeBenchOptions {
  /** out/serve/index.js and the built page (out/renderer). */
  serveEntry: string;
  rendererDir: string;
  packDir: string;
  /** A photo to paint on; it is resized to 6000x4000 (24 MP). */
  photoPath: string;
  chromium?: string;
  strokes?: number;
}

const skipped = (why: string): StrokeBench => ({ skipped: why, browser: null, photo: null, viewport: VIEWPORT, zoom: null, cases: [], commit_max_ms: null, move_max_ms: null, targets: STROKE_TARGETS });

/** Page-side timing, installed once: the figures collect in window.__bench. */
const INSTRUMENT = `(() => {
  const w = window;
  w.__bench = { commit: [], move: [], frame: [], after: [] };
  let moveAt = 0, longest = 0, down = false, last = 0, gap = 0, tasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask' });
  const tick = (t) => { if (!down) return; if (last) gap = Math.max(gap, t - last); last = t; requestAnimationFrame(tick); };
  // capture on the window runs first, bubbling on the window last: between them, the page's own handlers
  w.addEventListener('pointermove', (e) => { if (e.buttons) moveAt = performance.now(); }, true);
  w.addEventListener('pointermove', (e) => { if (e.buttons) longest = Math.max(longest, performance.now() - moveAt); });
  // only presses on the photo count (not the clicks that set the brush)
  w.addEventListener('pointerdown', (e) => { down = !!e.target.closest?.('[data-testid="editor-canvas"]'); longest = 0; gap = 0; last = 0; if (down) requestAnimationFrame(tick); }, true);
  w.addEventListener('pointerup', () => {
    if (!down) return;
    const t0 = performance.now();
    down = false;
    w.__bench.move.push(longest);
    w.__bench.frame.push(gap);
    requestAnimationFrame(() => setTimeout(() => w.__bench.commit.push(performance.now() - t0), 0));
    setTimeout(() => w.__bench.after.push(Math.max(0, ...tasks.filter(([s]) => s >= t0).map(([, d]) => d))), 1000);
  }, true);
})()`;

type Bench = { commit: number[]; move: number[]; frame: number[]; after: number[] };

async function paint(page: Page, c: { label: string; brush_px: number; hardness: number; cells: boolean }, strokes: number, moves: number): Promise<StrokeCase> {
  await page.getByLabel(/^Size/).fill(String(c.brush_px));
  await page.getByLabel(/^Hardness/).fill(String(c.hardness));
  await page.getByLabel('Cells').setChecked(c.cells);
  await page.evaluate('window.__bench.commit = []; window.__bench.move = []; window.__bench.frame = []; window.__bench.after = []');
  const canvas = page.getByTestId('editor-canvas');
  const box = (await canvas.boundingBox())!;
  const d = await canvas.evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
  const z = Number(d.zoom), w = Number(d.width), h = Number(d.height);
  const at = (fx: number, fy: number) => ({ x: box.x + Number(d.x) + fx * w * z, y: box.y + Number(d.y) + fy * h * z });
  for (let s = 0; s < strokes; s++) {
    // A wavy stroke over most of the photo's height, each further right.
    const fx = 0.12 + (0.76 * s) / Math.max(1, strokes - 1);
    const start = at(fx, 0.1);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= moves; i++) {
      const t = i / moves;
      const p = at(fx + 0.05 * Math.sin(t * Math.PI * 2), 0.1 + 0.8 * t);
      await page.mouse.move(p.x, p.y);
    }
    await page.mouse.up();
    const deadline = Date.now() + 60_000;
    while (((await page.evaluate('window.__bench.after.length')) as number) < s + 1) {
      if (Date.now() > deadline) throw new Error(`stroke ${s + 1} of ${c.label} was not committed within 60 s`);
      await page.waitForTimeout(50);
    }
  }
  const b = (await page.evaluate('window.__bench')) as Bench;
  return {
    ...c,
    strokes,
    moves_per_stroke: moves,
    commit_ms: b.commit.map(round1),
    commit_median_ms: round1(median(b.commit)),
    commit_max_ms: round1(Math.max(...b.commit)),
    move_ms: b.move.map(round1),
    move_max_ms: round1(Math.max(...b.move)),
    frame_gap_max_ms: round1(Math.max(...b.frame)),
    after_release_task_max_ms: round1(Math.max(...b.after)),
  };
}

/** Starts serve with the built page, paints, and stops both; a missing piece gives a skipped result. */
export async function strokeBench(o: StrokeBenchOptions): Promise<StrokeBench> {
  const chromiumPath = o.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) return skipped(`no Chromium at ${chromiumPath} (Debian's chromium package, or set CHROMIUM_PATH)`);
  if (!existsSync(join(o.rendererDir, 'index.html'))) return skipped(`the page is not built (no ${join(o.rendererDir, 'index.html')}: run \`npx vite build\`)`);
  if (!existsSync(o.serveEntry)) return skipped(`the serve bundle is not built (no ${o.serveEntry})`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return skipped(`playwright-core (a dev dependency) cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  const photo = await sharp(o.photoPath).resize(6000, 4000, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer();
  // The user's own cache of optimised models (the bench's engine filled it): serve's warm-up at start then
  // loads sessions rather than optimising models while the strokes are timed.
  const { child, ready } = spawnServe(o.serveEntry, o.packDir, o.rendererDir);
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const url = (await ready).href;
    const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    await page.goto(url);
    await page.getByTestId('pack-info').waitFor({ timeout: 120_000 });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open…' }).click();
    await (await chooser).setFiles({ name: 'photo-24mp.jpg', mimeType: 'image/jpeg', buffer: photo });
    // (waitForFunction would evaluate a string in the page, which its CSP refuses)
    for (const deadline = Date.now() + 120_000; !(await page.title()).startsWith('photo-24mp.jpg'); await page.waitForTimeout(100)) {
      if (Date.now() > deadline) throw new Error('the 24 MP photo did not open within 120 s');
    }
    await page.evaluate(INSTRUMENT);
    const strokes = o.strokes ?? 6;
    const shortSide = 4000;
    const cases = [
      await paint(page, { label: 'brush 100 px, hardness 0.8', brush_px: 100, hardness: 0.8, cells: false }, strokes, 40),
      await paint(page, { label: `largest brush (${shortSide / 4} px, a quarter of the short side), hardness 0.3`, brush_px: shortSide / 4, hardness: 0.3, cells: false }, strokes, 40),
      await paint(page, { label: 'brush 100 px, hardness 0.8, Cells overlay on', brush_px: 100, hardness: 0.8, cells: true }, strokes, 40),
    ];
    const zoom = Number(await page.getByTestId('editor-canvas').getAttribute('data-zoom'));
    return {
      skipped: null,
      browser: browser.version(),
      photo: { width: 6000, height: 4000, bytes: photo.byteLength },
      viewport: VIEWPORT,
      zoom,
      cases,
      commit_max_ms: Math.max(...cases.map((c) => c.commit_max_ms)),
      move_max_ms: Math.max(...cases.map((c) => c.move_max_ms)),
      targets: STROKE_TARGETS,
    };
  } finally {
    await browser?.close();
    child.kill('SIGTERM');
  }
}

/** The section of docs/BENCHMARKS.md: what was measured, or that it was skipped and why. */
export function strokeMarkdown(r: StrokeBench): string[] {
  const head = ['## Brush strokes on a 24 MP photo (editor, Chromium)', ''];
  if (r.skipped !== null) return [...head, `Skipped: ${r.skipped}.`, ''];
  const ok = (v: number, target: number) => `${v.toFixed(1)} ms (${v < target ? 'under' : '**over**'} the ${target} ms target)`;
  const list = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
  return [
    ...head,
    `The editor in serve mode in Chromium ${r.browser} (software rendering, \`--disable-gpu\`), ${r.viewport.width}x${r.viewport.height} window, a ${r.photo!.width}x${r.photo!.height} JPEG fitted at ${((r.zoom ?? 0) * 100).toFixed(1)} % zoom; strokes painted with real mouse events, each stroke ${r.cases[0]?.moves_per_stroke ?? 0} pointer moves down most of the photo. Commit: from the pointer's release until the page has drawn the stroke and is free again. Move: the page's handling of one pointermove (its longest per stroke). Frame gap: the longest time between two frames while dragging. After release: the longest task (over 50 ms) in the second after each release, such as the Cells overlay's update.`,
    '',
    `Worst stroke commit: **${ok(r.commit_max_ms!, r.targets.commit_ms)}**; worst pointermove handling: **${ok(r.move_max_ms!, r.targets.move_ms)}**.`,
    '',
    '| brush | commit ms, each stroke | median | worst move ms | worst frame gap ms | longest task after release ms |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...r.cases.map((c) => `| ${c.label} | ${list(c.commit_ms)} | ${c.commit_median_ms.toFixed(1)} | ${c.move_max_ms.toFixed(1)} | ${c.frame_gap_max_ms.toFixed(1)} | ${c.after_release_task_max_ms ? c.after_release_task_max_ms.toFixed(0) : 'none'} |`),
    '',
  ];
}
