/**
 * The app's batch (engine/batchService.ts) through the engine service, on the tiny pack and small folders
 * under a stand-in home folder: folders limited to it, the preview (the dry run as data), a run with its
 * events, pause, stop and resume, picks in the record and their export, and that `vqddm batch` reads the
 * app's run record as its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchEvent, BatchSpec } from '../../electron/shared/batch.js';
import { DEFAULT_SETTINGS } from '../../electron/shared/contract.js';
import { parseArgs } from '../../electron/shared/operations.js';
import { createEngineService, type EngineService } from '../../electron/engine/service.js';
import { appWording } from '../../electron/engine/batchService.js';
import { PHOTO, rectMask, ROOT, tempDir, TINY_PACK } from './helpers.js';

const tmp = tempDir();
const home = join(tmp.dir, 'home');
const outside = join(tmp.dir, 'elsewhere');
let service: EngineService;
const events: BatchEvent[] = [];
let n = 0;

/** `count` photos and a masks folder (stem rule) in a fresh folder of the home; `withoutMask` photos get none. */
async function shoot(count: number, withoutMask: number[] = []): Promise<{ images: string; masks: string; out: string }> {
  const base = join(home, `shoot-${n++}`);
  const images = join(base, 'photos');
  const masks = join(base, 'masks');
  mkdirSync(images, { recursive: true });
  mkdirSync(masks, { recursive: true });
  const m = rectMask(256, 192, 90, 60, 40, 30);
  const png = await sharp(Buffer.from(m.data), { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer();
  for (let i = 0; i < count; i++) {
    copyFileSync(PHOTO, join(images, `p${i}.jpg`));
    if (!withoutMask.includes(i)) writeFileSync(join(masks, `p${i}.png`), png);
  }
  return { images, masks, out: join(base, 'filled') };
}

const spec = (f: { images: string; masks: string; out: string }, over: Partial<BatchSpec> = {}): BatchSpec => ({
  images: f.images, masks: f.masks, pair: 'stem', recursive: false, out: f.out, format: null,
  settings: { ...DEFAULT_SETTINGS, steps: 2, seed: 7 },
  ...over,
});

async function until(what: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lastRun = () => [...events].reverse().find((e) => e.kind === 'run' || e.kind === 'item' || e.kind === 'step')?.run;
const ended = () => ['finished', 'stopped'].includes(lastRun()?.status ?? '');
const recordLines = (out: string) => readFileSync(join(out, 'batch.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  mkdirSync(outside, { recursive: true });
  copyFileSync(PHOTO, join(outside, 'secret.jpg'));
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-node.mjs')], { cwd: ROOT });
  service = await createEngineService({ packDir: TINY_PACK, device: 'cpu', batchRoot: home });
  service.onBatchEvent((e) => events.push(e));
});
afterAll(async () => {
  await service?.dispose();
  tmp.cleanup();
});

describe('batch folders in serve mode: the home folder only', () => {
  it('lists the home folder and its sub-folders; its parent is out of reach', async () => {
    const f = await shoot(2);
    const top = await service.listFolder(null);
    expect(top.path).toBe(home);
    expect(top.parent).toBeNull();
    expect(top.folders).toContain(f.images.split('/').at(-2));
    const photos = await service.listFolder(f.images);
    expect(photos).toMatchObject({ images: ['p0.jpg', 'p1.jpg'], folders: [], parent: join(f.images, '..') });
    expect((await service.listFolder('~')).path).toBe(home);
  });

  it('refuses folders, files and thumbnails outside it, also through a symbolic link or ..', async () => {
    await expect(service.listFolder(outside)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/outside your home folder/) });
    await expect(service.listFolder(join(home, '..', 'elsewhere'))).rejects.toMatchObject({ message: expect.stringMatching(/outside your home folder/) });
    symlinkSync(outside, join(home, 'link-out'));
    await expect(service.listFolder(join(home, 'link-out'))).rejects.toMatchObject({ message: expect.stringMatching(/leads outside your home folder .* through a symbolic link/) });
    await expect(service.thumbnail(join(outside, 'secret.jpg'), 64)).rejects.toMatchObject({ message: expect.stringMatching(/outside your home folder/) });
    await expect(service.thumbnail(join(home, 'link-out', 'secret.jpg'), 64)).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });
    const f = await shoot(1);
    await expect(service.batchPreview(spec(f, { out: join(outside, 'out') }))).rejects.toMatchObject({ message: expect.stringMatching(/The output folder .* is outside your home folder/) });
    await expect(service.batchStart(spec(f, { images: outside }), { retryFailed: false })).rejects.toMatchObject({ message: expect.stringMatching(/The photos folder .* is outside your home folder/) });
    expect(existsSync(join(outside, 'out'))).toBe(false);
  });

  it('a thumbnail is a small upright JPEG', async () => {
    const f = await shoot(1);
    const t = await service.thumbnail(join(f.images, 'p0.jpg'), 64);
    expect([t.width, t.height]).toEqual([64, 48]);
    expect(t.jpeg.subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
    await expect(service.thumbnail(join(f.images, 'nothing.jpg'), 64)).rejects.toMatchObject({ message: expect.stringMatching(/does not exist/) });
  });

  it('the CLI\'s option names become the view\'s words', () => {
    expect(appWording('--out holds another batch (steps: 2 there, 3 now); rerun with its options or choose another --out')).toBe(
      'the output folder holds another batch (steps: 2 there, 3 now); start it with the settings it was made with, or choose another output folder',
    );
  });
});

describe('a photo and its painted mask added from the editor', () => {
  it('writes both into the batch\'s folders by its rule, again harmlessly, never over another file', async () => {
    const f = await shoot(1);
    const photo = await sharp(PHOTO).png().toBuffer();
    const m = rectMask(256, 192, 20, 20, 30, 30);
    const mask = await sharp(Buffer.from(m.data), { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer();
    const req = { images: f.images, masks: f.masks, pair: 'stem' as const, name: 'painted.png', photo: new Uint8Array(photo), mask: new Uint8Array(mask) };
    expect(await service.batchAddPhoto(req)).toEqual({ photo: join(f.images, 'painted.png'), mask: join(f.masks, 'painted.png') });
    expect(readFileSync(join(f.masks, 'painted.png'))).toEqual(mask);
    expect(await service.batchAddPhoto(req)).toMatchObject({ photo: join(f.images, 'painted.png') });
    expect((await service.batchPreview(spec(f))).pairs.map((p) => [p.item, p.status])).toEqual([['p0.jpg', 'ready'], ['painted.png', 'ready']]);
    // Beside the photo with the suffix rule.
    expect(await service.batchAddPhoto({ ...req, masks: null, pair: 'suffix', name: 'other.png' })).toEqual({ photo: join(f.images, 'other.png'), mask: join(f.images, 'other_mask.png') });
    // Another mask for a photo already there is refused, and nothing is written.
    const other = await sharp(Buffer.from(rectMask(256, 192, 60, 60, 30, 30).data), { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer();
    await expect(service.batchAddPhoto({ ...req, mask: new Uint8Array(other) })).rejects.toMatchObject({ message: expect.stringMatching(/already exists .*nothing is written over/) });
    expect(readFileSync(join(f.masks, 'painted.png'))).toEqual(mask);
    const empty = await sharp(Buffer.alloc(256 * 192), { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer();
    await expect(service.batchAddPhoto({ ...req, name: 'e.png', mask: new Uint8Array(empty) })).rejects.toMatchObject({ code: 'EMPTY_MASK' });
    const small = await sharp(Buffer.alloc(64 * 48, 255), { raw: { width: 64, height: 48, channels: 1 } }).png().toBuffer();
    await expect(service.batchAddPhoto({ ...req, name: 's.png', mask: new Uint8Array(small) })).rejects.toMatchObject({ code: 'MASK_SIZE_MISMATCH' });
    await expect(service.batchAddPhoto({ ...req, images: outside })).rejects.toMatchObject({ message: expect.stringMatching(/outside your home folder/) });
    expect(existsSync(join(f.images, 'e.png'))).toBe(false);
  });

  it('a photo joins as the file it was opened from (a JPEG stays a JPEG), its bytes of the format its name says', async () => {
    const f = await shoot(1);
    const jpeg = new Uint8Array(readFileSync(PHOTO));
    const mask = await sharp(Buffer.from(rectMask(256, 192, 20, 20, 30, 30).data), { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer();
    const req = { images: f.images, masks: f.masks, pair: 'stem' as const, name: 'kept.jpg', photo: jpeg, mask: new Uint8Array(mask) };
    expect(await service.batchAddPhoto(req)).toEqual({ photo: join(f.images, 'kept.jpg'), mask: join(f.masks, 'kept.png') });
    expect(new Uint8Array(readFileSync(join(f.images, 'kept.jpg')))).toEqual(jpeg);
    // A PNG's bytes under a .jpg name, or a name of a format no photo joins in: refused, nothing written.
    const png = new Uint8Array(await sharp(PHOTO).png().toBuffer());
    await expect(service.batchAddPhoto({ ...req, name: 'fake.jpg', photo: png })).rejects.toMatchObject({ code: 'BAD_IMAGE', message: 'The photo fake.jpg is not a readable .jpg file (it holds png)' });
    expect(existsSync(join(f.images, 'fake.jpg'))).toBe(false);
    expect(parseArgs('batchAddPhoto', [{ ...req, name: 'x.bmp' }])).toMatchObject({ ok: false, message: expect.stringMatching(/ending in \.png, \.jpg, \.jpeg/) });
  });
});

describe('the app\'s batch: preview, run, pause, stop, resume, picks', () => {
  it('the preview lists every pair and flags the problems; it writes nothing', async () => {
    const f = await shoot(3, [1]);
    writeFileSync(join(f.masks, 'stray.png'), readFileSync(join(f.masks, 'p0.png')));
    const p = await service.batchPreview(spec(f));
    expect(p.pairs.map((x) => [x.item, x.status])).toEqual([['p0.jpg', 'ready'], ['p1.jpg', 'problem'], ['p2.jpg', 'ready']]);
    expect(p.pairs[1]!.problem).toMatch(/no mask/);
    expect(p.pairs[0]).toMatchObject({ size: '256x192', mask: join(f.masks, 'p0.png') });
    expect(p.orphans).toEqual([join(f.masks, 'stray.png')]);
    expect(p).toMatchObject({ counts: { ready: 2, done: 0, problems: 1 }, recorded: false, refusal: null });
    expect(existsSync(f.out)).toBe(false);
    await expect(service.batchPreview(spec(f, { masks: null }))).rejects.toMatchObject({ message: expect.stringMatching(/needs a masks folder/) });
    await expect(service.batchPreview(spec(f, { out: f.images }))).rejects.toMatchObject({ message: expect.stringMatching(/is the photos folder/) });
  });

  it('a run: step progress, each item as it finishes, bad items failing alone; the same record and files as the CLI', async () => {
    const f = await shoot(3, [1]);
    events.length = 0;
    const status = await service.batchStart(spec(f), { retryFailed: false });
    expect(status.run).toMatchObject({ status: 'running', total: 3, finished: 0, out: f.out });
    expect(status.items.map((i) => [i.key, i.state])).toEqual([['p0.jpg', 'waiting'], ['p1.jpg', 'waiting'], ['p2.jpg', 'waiting']]);
    await expect(service.batchStart(spec(f), { retryFailed: false })).rejects.toMatchObject({ message: expect.stringMatching(/already running/) });
    await expect(service.loadPack(TINY_PACK)).rejects.toMatchObject({ message: expect.stringMatching(/batch is running/) });
    await until(ended);
    const run = lastRun()!;
    expect(run).toMatchObject({ status: 'finished', total: 3, finished: 3, failed: 1, current: null });
    expect(run.message).toMatch(/2 items done, 1 failed/);
    const steps = events.filter((e) => e.kind === 'step');
    expect(steps.some((e) => e.run.current?.fills.some((f) => f.stage === 'sampling' && f.method === 'vqddm' && f.total === 2))).toBe(true);
    expect(steps.some((e) => e.run.current?.fills.some((f) => f.method === 'transformer'))).toBe(true);
    // an item's two fills ran side by side (one job of the engine's queue), each with its own progress
    expect(events.some((e) => e.kind === 'item' && e.item.units.filter((u) => u.state === 'running').length === 2)).toBe(true);
    expect(steps.some((e) => e.run.current?.fills.map((f) => f.method).sort().join() === 'transformer,vqddm')).toBe(true);
    const final = await service.batchStatus();
    expect(final.items.map((i) => i.state)).toEqual(['done', 'failed', 'done']);
    expect(final.items[1]!.error).toMatch(/no mask/);
    expect(final.items[0]!.units.map((u) => [u.method, u.state, u.outputs])).toEqual([
      ['vqddm', 'done', [join(f.out, 'p0.vqddm.jpg')]],
      ['transformer', 'done', [join(f.out, 'p0.transformer.jpg')]],
    ]);
    expect(readdirSync(f.out).sort()).toEqual(['batch.json', 'batch.jsonl', 'p0.transformer.jpg', 'p0.vqddm.jpg', 'p2.transformer.jpg', 'p2.vqddm.jpg']);
    // The CLI's dry run over the same folders sees the app's record as its own: done items would be skipped.
    const dry = spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', '--images', f.images, '--masks', f.masks, '--out', f.out, '--pack', TINY_PACK, '--steps', '2', '--seed', '7', '--dry-run', '--json'], { encoding: 'utf8' });
    expect(JSON.parse(dry.stdout)).toMatchObject({ ready: 0, done: 2, problems: 1 });
  });

  it('pause finishes the item in progress and waits; resume goes on', async () => {
    const f = await shoot(5);
    events.length = 0;
    await service.batchStart(spec(f), { retryFailed: false });
    await until(() => events.some((e) => e.kind === 'step'));
    const paused = await service.batchControl('pause');
    expect(paused.status).toBe('pausing');
    await until(() => lastRun()?.status === 'paused');
    const at = lastRun()!;
    expect(at.finished).toBeGreaterThanOrEqual(1);
    expect(at.finished).toBeLessThan(5);
    expect(at.estimateMs).not.toBeNull();
    await new Promise((r) => setTimeout(r, 400));
    expect((await service.batchStatus()).run).toMatchObject({ status: 'paused', finished: at.finished });
    expect((await service.batchStatus()).items.filter((i) => i.state === 'running')).toEqual([]);
    await service.batchControl('resume');
    await until(ended);
    expect(lastRun()).toMatchObject({ status: 'finished', finished: 5, failed: 0 });
  });

  it('stop ends the fill in progress and the run; a start on the same folder resumes, nothing done twice', async () => {
    const f = await shoot(4);
    events.length = 0;
    await service.batchStart(spec(f), { retryFailed: false });
    await until(() => events.some((e) => e.kind === 'item' && e.item.state === 'done'));
    await until(() => events.some((e) => e.kind === 'step' && e.run.current?.item !== 'p0.jpg'));
    await service.batchControl('stop');
    await until(ended);
    const stopped = lastRun()!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.message).toMatch(/you stopped the run/);
    expect(stopped.finished).toBeLessThan(4);
    const doneBefore = (await service.batchStatus()).items.filter((i) => i.state === 'done').map((i) => i.key);
    expect(doneBefore.length).toBeGreaterThanOrEqual(1);
    await expect(service.batchControl('resume')).rejects.toMatchObject({ message: expect.stringMatching(/No batch is running/) });

    const preview = await service.batchPreview(spec(f));
    expect(preview).toMatchObject({ recorded: true, refusal: null, counts: { done: doneBefore.length } });
    // Other settings into the same folder: the start would be refused, and the preview says so.
    expect((await service.batchPreview(spec(f, { settings: { ...DEFAULT_SETTINGS, steps: 3, seed: 7 } }))).refusal).toMatch(/the output folder holds another batch \(steps: 2 there, 3 now\)/);

    events.length = 0;
    const resumed = await service.batchStart(spec(f), { retryFailed: false });
    expect(resumed.run).toMatchObject({ total: 4 - doneBefore.length, earlier: doneBefore.length });
    expect(resumed.items.filter((i) => i.state === 'earlier').map((i) => i.key)).toEqual(doneBefore);
    await until(ended);
    expect(lastRun()).toMatchObject({ status: 'finished', failed: 0 });
    const lines = recordLines(f.out);
    for (const key of doneBefore) expect(lines.filter((l) => l.item === key && l.status === 'done')).toHaveLength(2);
    for (let i = 0; i < 4; i++) for (const m of ['vqddm', 'transformer']) expect(lines.filter((l) => l.item === `p${i}.jpg` && l.method === m && l.status === 'done'), `p${i} ${m}`).toHaveLength(1);
  });

  it('picks go into the record; "export picks" writes only the picked results, again after a change, never over a stranger\'s file', async () => {
    const f = await shoot(3);
    events.length = 0;
    await service.batchStart(spec(f), { retryFailed: false });
    await until(ended);
    const item = await service.batchPick('p0.jpg', 'transformer');
    expect(item.pick).toBe('transformer');
    expect(events.some((e) => e.kind === 'item' && e.item.key === 'p0.jpg' && e.item.pick === 'transformer')).toBe(true);
    await service.batchPick('p2.jpg', 'vqddm');
    await expect(service.batchPick('p9.jpg', 'vqddm')).rejects.toMatchObject({ message: expect.stringMatching(/No item p9.jpg/) });
    const picks = recordLines(f.out).filter((l) => 'pick' in l);
    expect(picks.map((l) => [l.item, l.pick])).toEqual([['p0.jpg', 'transformer'], ['p2.jpg', 'vqddm']]);

    const first = await service.batchExportPicks(null);
    const dest = join(f.out, 'picks');
    expect(first).toMatchObject({ dest, unchanged: 0, missing: [] });
    expect(readdirSync(dest).sort()).toEqual(['p0.transformer.jpg', 'p2.vqddm.jpg', 'picks.json']);
    expect(readFileSync(join(dest, 'p0.transformer.jpg'))).toEqual(readFileSync(join(f.out, 'p0.transformer.jpg')));

    // A pick changed and one undone: the export follows; what an earlier export wrote may go.
    await service.batchPick('p0.jpg', 'vqddm');
    await service.batchPick('p2.jpg', null);
    const second = await service.batchExportPicks(null);
    expect(second.written).toEqual([join(dest, 'p0.vqddm.jpg')]);
    expect(readdirSync(dest).sort()).toEqual(['p0.vqddm.jpg', 'picks.json']);
    expect((await service.batchExportPicks(null)).unchanged).toBe(1);

    // The record keeps the latest pick per item after the service restarts (read from batch.jsonl).
    const again = await service.batchStart(spec(f), { retryFailed: false });
    expect(again.items.map((i) => i.pick)).toEqual(['vqddm', null, null]);
    await until(ended);

    // The CLI's --merge-records keeps the picks (they are not unit states, but they are the record's).
    const merged = spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'batch', '--merge-records', f.out, '--json'], { encoding: 'utf8' });
    expect(merged.status).toBe(0);
    expect(recordLines(f.out).filter((l) => 'pick' in l).map((l) => [l.item, l.pick])).toEqual([['p0.jpg', 'transformer'], ['p2.jpg', 'vqddm'], ['p0.jpg', 'vqddm'], ['p2.jpg', null]]);

    const elsewhere = join(f.out, '..', 'mine');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'p0.vqddm.jpg'), 'not ours');
    await expect(service.batchExportPicks(elsewhere)).rejects.toMatchObject({ message: expect.stringMatching(/already exists and no export of picks wrote it/) });
    expect(readFileSync(join(elsewhere, 'p0.vqddm.jpg'), 'utf8')).toBe('not ours');
    await expect(service.batchExportPicks(f.images)).rejects.toMatchObject({ message: expect.stringMatching(/input folder/) });
  });
});
