/**
 * The Batch view's state (renderer/state/batch.svelte.ts) against a stand-in engine: the spec it sends,
 * events folding into the run and its items, progress and the estimate, picks shown at once and taken
 * back on a refusal, the folder picker, thumbnails a few at a time.
 */
import { describe, expect, it } from 'vitest';
import type { BatchEvent, BatchItem, BatchRun, BatchSpec, FolderListing } from '../../electron/shared/batch';
import { ApiError, DEFAULT_SETTINGS } from '../../electron/shared/contract';
import type { Api } from '../../electron/shared/host';
import { BatchState, batchSettings } from '../../renderer/state/batch.svelte';

const item = (key: string, over: Partial<BatchItem> = {}): BatchItem => ({
  key, photo: `/home/u/p/${key}`, mask: `/home/u/m/${key}`, state: 'done', pick: null, error: null,
  units: [
    { method: 'vqddm', state: 'done', outputs: [`/home/u/o/${key}.vqddm.png`], fillMs: 10, error: null },
    { method: 'transformer', state: 'done', outputs: [`/home/u/o/${key}.transformer.png`], fillMs: 10, error: null },
  ],
  ...over,
});

function fakeApi(over: Partial<Record<string, (...a: never[]) => unknown>> = {}) {
  const listeners: ((e: BatchEvent) => void)[] = [];
  const calls: { op: string; args: unknown[] }[] = [];
  const record = (op: string, fn: (...a: unknown[]) => unknown) => async (...args: unknown[]) => {
    calls.push({ op, args });
    return (over[op] as ((...a: unknown[]) => unknown) | undefined)?.(...args) ?? fn(...args);
  };
  const api = {
    host: { kind: 'browser', chooseBatchPath: async () => null, openBatchFolder: async () => false },
    onBatchEvent: (l: (e: BatchEvent) => void) => (listeners.push(l), () => undefined),
    batchStatus: record('batchStatus', () => ({ run: null, items: [] })),
    batchPreview: record('batchPreview', () => ({ rule: 'stem', pairs: [], orphans: [], inTheWay: [], counts: { ready: 0, done: 0, problems: 0 }, recorded: false, refusal: null })),
    batchStart: record('batchStart', () => ({ run: null, items: [] })),
    batchPick: record('batchPick', (key: unknown, pick: unknown) => item(String(key), { pick: pick as BatchItem['pick'] })),
    listFolder: record('listFolder', (path: unknown) => ({ path: String(path ?? '/home/u'), parent: path ? '/home/u' : null, root: '/home/u', sep: '/', folders: ['p'], images: [], truncated: false }) satisfies FolderListing),
    thumbnail: record('thumbnail', () => new Promise(() => undefined)),
  } as unknown as Api;
  return { api, calls, emit: (e: BatchEvent) => listeners.forEach((l) => l(e)) };
}

const run = (over: Partial<BatchRun> = {}): BatchRun => ({
  id: 1, spec: { images: '/p', masks: '/m', pair: 'stem', recursive: false, out: '/o', format: null, settings: { ...DEFAULT_SETTINGS } } satisfies BatchSpec, out: '/home/u/o', retryFailed: false, status: 'running', total: 4, finished: 1, failed: 0, earlier: 0,
  elapsedMs: 2000, estimateMs: 6000, current: { item: 'b.png', fills: [{ method: 'vqddm', stage: 'sampling', step: 5, total: 10 }] }, message: null, ...over,
});

describe('BatchState', () => {
  it('sends the chosen folders, rule and methods with the settings panel\'s settings; masks only where the rule reads them', async () => {
    const { api, calls } = fakeApi();
    const b = new BatchState(api, () => batchSettings({ ...DEFAULT_SETTINGS, steps: 7, seed: 42 }));
    b.images = '/home/u/p';
    b.masks = '/home/u/m';
    b.out = '/home/u/o';
    b.toggleMethod('vqddm', false);
    await b.refreshPreview();
    expect(calls.at(-1)!.args[0]).toMatchObject({ images: '/home/u/p', masks: '/home/u/m', pair: 'stem', out: '/home/u/o', format: null, settings: { methods: ['transformer'], steps: 7, seed: 42 } });
    b.toggleMethod('transformer', false); // the last method stays
    expect(b.methods).toEqual(['transformer']);
    expect(b.notice).toMatch(/At least one method/);
    b.pair = 'suffix';
    expect(b.spec().masks).toBeNull();
    b.pair = 'single';
    expect(b.masksKind).toBe('file');
    b.images = '';
    await b.refreshPreview();
    expect(b.error).toBe('Choose the photos folder');
  });

  it('folds events into the run and its items; progress counts the fill in progress; elapsed moves between events', async () => {
    const waiting = (key: string) => item(key, { state: 'waiting', units: item(key).units.map((u) => ({ ...u, state: 'waiting', outputs: [], fillMs: null })) });
    const { api, emit } = fakeApi({ batchStart: () => ({ run: run({ finished: 0, current: null }), items: [waiting('a.png'), waiting('b.png')] }) });
    const b = new BatchState(api, () => batchSettings(DEFAULT_SETTINGS));
    await b.init();
    [b.images, b.masks, b.out] = ['/p', '/m', '/o'];
    await b.start();
    expect(b.tab).toBe('results');
    expect(b.items.map((i) => i.state)).toEqual(['waiting', 'waiting']);
    emit({ kind: 'item', run: run(), item: item('a.png') });
    expect(b.items.map((i) => i.state)).toEqual(['done', 'waiting']);
    emit({ kind: 'step', run: run() });
    // 1 of 4 items, and half of the first of two methods of the second: (1 + 0.5 * 1/2) / 4
    expect(b.fraction).toBeCloseTo(1.25 / 4);
    // its two fills side by side, each its own share; then the first done
    emit({ kind: 'step', run: run({ current: { item: 'b.png', fills: [{ method: 'vqddm', stage: 'sampling', step: 5, total: 10 }, { method: 'transformer', stage: 'sampling', step: 2, total: 8 }] } }) });
    expect(b.fraction).toBeCloseTo((1 + (0.5 + 0.25) / 2) / 4);
    expect(b.fillOf('b.png', 'transformer')).toMatchObject({ step: 2, total: 8 });
    expect(b.fillOf('a.png', 'transformer')).toBeUndefined();
    emit({ kind: 'item', run: run(), item: { ...waiting('b.png'), units: [{ ...item('b.png').units[0]! }, { ...item('b.png').units[1]!, state: 'running', outputs: [], fillMs: null }] } });
    emit({ kind: 'step', run: run({ current: { item: 'b.png', fills: [{ method: 'transformer', stage: 'sampling', step: 4, total: 8 }] } }) });
    expect(b.fraction).toBeCloseTo((1 + (1 + 0.5) / 2) / 4);
    b.now += 1500;
    expect(b.elapsedMs).toBeCloseTo(3500);
    expect(b.estimateMs).toBeCloseTo(4500);
    emit({ kind: 'run', run: run({ status: 'paused', current: null }) });
    b.now += 5000;
    expect(b.elapsedMs).toBe(2000); // a pause does not count
    expect(b.active).toBe(true);
    emit({ kind: 'run', run: run({ status: 'finished', finished: 4, current: null, estimateMs: null }) });
    expect(b.active).toBe(false);
  });

  it('a pick shows at once, a second press takes it back, a refused one is undone and said', async () => {
    let refuse = false;
    const { api, calls } = fakeApi({
      batchStart: () => ({ run: run(), items: [item('a.png')] }),
      batchPick: (key: never, pick: never) => {
        if (refuse) throw new ApiError('IO_ERROR', 'read-only');
        return item(key, { pick });
      },
    });
    const b = new BatchState(api, () => batchSettings(DEFAULT_SETTINGS));
    [b.images, b.masks, b.out] = ['/p', '/m', '/o'];
    await b.start();
    const p = b.pick(b.items[0]!, 'transformer');
    expect(b.items[0]!.pick).toBe('transformer'); // before the engine answers
    await p;
    expect(b.picked).toBe(1);
    await b.pick(b.items[0]!, 'transformer');
    expect(b.items[0]!.pick).toBeNull();
    expect(calls.filter((c) => c.op === 'batchPick').map((c) => c.args)).toEqual([['a.png', 'transformer'], ['a.png', null]]);
    refuse = true;
    await b.pick(b.items[0]!, 'vqddm');
    expect(b.items[0]!.pick).toBeNull();
    expect(b.error).toMatch(/read-only/);
  });

  it('the picker opens at the typed folder, or at home with the reason when that cannot be listed', async () => {
    const { api } = fakeApi({
      listFolder: (path: never) => {
        if (path === '/etc') throw new ApiError('BAD_REQUEST', 'The folder /etc is outside your home folder /home/u');
        return { path: path ?? '/home/u', parent: null, root: '/home/u', sep: '/', folders: ['p'], images: ['x.png'], truncated: false };
      },
    });
    const b = new BatchState(api, () => batchSettings(DEFAULT_SETTINGS));
    b.images = '/etc';
    await b.choose('images');
    expect(b.picker).toMatchObject({ field: 'images', kind: 'folder', listing: { path: '/home/u' }, error: expect.stringMatching(/outside your home/) });
    await b.browse('/home/u/p');
    b.usePicked();
    expect(b.images).toBe('/home/u/p');
    expect(b.picker).toBeNull();
    b.pair = 'single';
    await b.choose('masks');
    expect(b.picker?.kind).toBe('file');
    b.usePicked('x.png');
    expect(b.masks).toBe('/home/u/x.png');
  });

  it('loads thumbnails three at a time', () => {
    const { api, calls } = fakeApi();
    const b = new BatchState(api, () => batchSettings(DEFAULT_SETTINGS));
    for (let i = 0; i < 5; i++) b.loadThumb(`/home/u/p/${i}.png`, 96);
    b.loadThumb('/home/u/p/0.png', 96);
    expect(calls.filter((c) => c.op === 'thumbnail')).toHaveLength(3);
    expect(b.thumbUrl('/home/u/p/0.png', 96)).toBeUndefined();
  });
});
