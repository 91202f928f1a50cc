import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type JobEvent, type MethodResult } from '../../electron/shared/contract';
import { effectiveMaskOps } from '../../renderer/lib/edits';
import type { MaskOp } from '../../renderer/lib/maskOps';
import { EditHistory } from '../../renderer/state/history.svelte';
import { FillJob, JobTracker } from '../../renderer/state/jobs.svelte';
import { DEFAULTS, SETTINGS_KEY, SettingsState, sanitize, type KeyValueStore } from '../../renderer/state/settings.svelte';
import { ViewState } from '../../renderer/state/view.svelte';

const stroke = (x: number): MaskOp => ({ kind: 'stroke', erase: false, size: 10, hardness: 1, points: [x, x] });
const patch = () => ({ x: 0, y: 0, width: 1, height: 1, before: new Uint8Array(4), after: new Uint8Array([9, 9, 9, 255]) });

describe('EditHistory (mask history)', () => {
  it('undoes and redoes strokes in order, and a new edit drops the redo stack', () => {
    const h = new EditHistory();
    h.push({ kind: 'mask', op: stroke(1) });
    h.push({ kind: 'mask', op: stroke(2) });
    expect(h.maskOps).toEqual([stroke(1), stroke(2)]);
    expect(h.undo()?.kind).toBe('mask');
    expect(h.maskOps).toEqual([stroke(1)]);
    expect(h.canRedo).toBe(true);
    h.redo();
    expect(h.maskOps).toEqual([stroke(1), stroke(2)]);
    h.undo();
    h.push({ kind: 'mask', op: stroke(3) });
    expect(h.canRedo).toBe(false);
    expect(h.maskOps).toEqual([stroke(1), stroke(3)]);
  });

  it('a clear or an applied result starts a new mask; undoing it brings the old mask back', () => {
    const h = new EditHistory();
    h.push({ kind: 'mask', op: stroke(1) });
    h.push({ kind: 'apply', label: 'Apply vqddm', patches: [patch()] });
    expect(h.maskOps).toEqual([]);
    h.push({ kind: 'mask', op: stroke(2) });
    h.push({ kind: 'mask', op: { kind: 'clear' } });
    expect(h.maskOps).toEqual([]);
    h.undo();
    expect(h.maskOps).toEqual([stroke(2)]);
    h.undo();
    const e = h.undo();
    expect(e?.kind).toBe('apply');
    expect(h.maskOps).toEqual([stroke(1)]);
  });

  it('tracks unsaved changes against the saved state, through undo and redo', () => {
    const h = new EditHistory();
    expect(h.dirty).toBe(false);
    h.push({ kind: 'mask', op: stroke(1) });
    expect(h.dirty).toBe(true);
    h.markSaved();
    expect(h.dirty).toBe(false);
    h.undo();
    expect(h.dirty).toBe(true);
    h.redo();
    expect(h.dirty).toBe(false);
    h.reset();
    expect(h.dirty).toBe(false);
    expect(h.canUndo).toBe(false);
  });

  it('keeps at most `limit` edits', () => {
    const h = new EditHistory(3);
    for (let i = 0; i < 5; i++) h.push({ kind: 'mask', op: stroke(i) });
    expect(h.done.length).toBe(3);
    expect(h.maskOps).toEqual([stroke(2), stroke(3), stroke(4)]);
  });

  it('effectiveMaskOps keeps invert and erase ops in order', () => {
    const ops: MaskOp[] = [stroke(1), { kind: 'invert' }, { kind: 'rect', erase: true, x: 0, y: 0, w: 2, h: 2 }];
    expect(effectiveMaskOps(ops.map((op, i) => ({ id: i + 1, kind: 'mask' as const, op })))).toEqual(ops);
  });
});

function memoryStore(init: Record<string, string> = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(init));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('SettingsState', () => {
  it('persists every change and loads it back', () => {
    const store = memoryStore();
    const a = new SettingsState(store);
    a.update({ steps: 7, samples: 3, randomSeed: false, seed: 42, topK: 5 });
    a.toggleMethod('transformer', false);
    const b = new SettingsState(store);
    expect(b.values).toMatchObject({ steps: 7, samples: 3, randomSeed: false, seed: 42, topK: 5, methods: ['vqddm'] });
  });

  it('a value the person sets stops following the pack, and a reset gives it back to the pack', () => {
    const s = new SettingsState(memoryStore());
    s.set('truncation', 0.5);
    expect(s.values).toMatchObject({ truncation: 0.5, fromPack: ['steps', 'topK'] });
    s.set('seed', 9); // not a pack's setting: the list stays
    expect(s.values.fromPack).toEqual(['steps', 'topK']);
    s.reset();
    expect(s.values.fromPack).toEqual(['steps', 'truncation', 'topK']);
  });

  it('never removes the last method', () => {
    const s = new SettingsState(memoryStore());
    s.toggleMethod('vqddm', false);
    s.toggleMethod('transformer', false);
    expect(s.values.methods).toEqual(['transformer']);
  });

  it('falls back to defaults for corrupt or out-of-range stored values', () => {
    expect(new SettingsState(memoryStore({ [SETTINGS_KEY]: '{not json' })).values).toEqual(DEFAULTS);
    expect(sanitize({}).fromPack).toEqual(['steps', 'truncation', 'topK']); // a fresh install follows each pack's defaults
    expect(sanitize({ fromPack: ['topK', 'nope', 'seed'] }).fromPack).toEqual(['topK']);
    // saved before the list existed: steps the person set stay theirs, the rest follow the pack
    expect(sanitize({ stepsFromPack: false }).fromPack).toEqual(['truncation', 'topK']);
    expect(sanitize({ stepsFromPack: true }).fromPack).toEqual(['steps', 'truncation', 'topK']);
    const s = sanitize({ steps: -5, samples: 99, temperature: 'hot', methods: ['nope'], saveFormat: 'bmp', quality: 1000 });
    expect(s).toMatchObject({ steps: 1, samples: 16, temperature: DEFAULTS.temperature, methods: DEFAULTS.methods, saveFormat: 'png', quality: 100 });
  });

  it('draws a fresh seed per fill when random, and keeps a fixed one otherwise', () => {
    const s = new SettingsState(memoryStore());
    s.update({ randomSeed: false, seed: 1234 });
    expect(s.forFill(false).seed).toBe(1234);
    s.update({ steps: 50 });
    expect(s.forFill(false, 20).steps).toBe(20);
    const again = s.forFill(true);
    expect(again.seed).toBe(s.values.seed);
    expect(Object.keys(again).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
  });
});

const result = (method: 'vqddm' | 'transformer'): MethodResult => ({
  method,
  samples: [{ seed: 1, patches: [] }],
  timings: { encode: 1, sample: 2, decode: 3, composite: 4, detail: 0, anchor: 0, texture: 0, total: 10, modelRun: 5 },
  modelCalls: 3,
  grids: [16],
  stages: ['coarse'],
  provider: 'cpu',
  settings: DEFAULT_SETTINGS,
});

describe('job tracking', () => {
  it('follows each method from queued to done, with step, total and an estimate', () => {
    const job = new FillJob('j1', ['vqddm', 'transformer']);
    job.handle({ jobId: 'j1', method: 'vqddm', stage: 'encoding', step: 0, total: 1, elapsedMs: 5 });
    job.handle({ jobId: 'j1', method: 'vqddm', stage: 'sampling', step: 0, total: 10, elapsedMs: 10 });
    job.handle({ jobId: 'j1', method: 'vqddm', stage: 'sampling', step: 4, total: 10, elapsedMs: 50 });
    const p = job.progress.vqddm!;
    expect(p).toMatchObject({ stage: 'sampling', step: 4, total: 10, elapsedMs: 50 });
    expect(p.estimateMs).toBeCloseTo(60); // 10 ms a step, 6 steps left
    expect(job.progress.transformer!.stage).toBe('queued');
    job.handle({ jobId: 'j1', method: 'vqddm', stage: 'done', result: result('vqddm'), elapsedMs: 100 });
    job.handle({ jobId: 'j1', method: 'transformer', stage: 'done', result: result('transformer'), elapsedMs: 80 });
    job.handle({ jobId: 'j1', method: null, stage: 'finished', elapsedMs: 190 });
    expect(job.status).toBe('finished');
    expect(job.results.map((r) => r.method)).toEqual(['vqddm', 'transformer']);
  });

  it('ignores other jobs and marks cancellation on every unfinished method', () => {
    const job = new FillJob('j2', ['vqddm', 'transformer']);
    job.handle({ jobId: 'other', method: 'vqddm', stage: 'sampling', step: 1, total: 2, elapsedMs: 1 });
    expect(job.progress.vqddm!.stage).toBe('queued');
    job.handle({ jobId: 'j2', method: 'vqddm', stage: 'done', result: result('vqddm'), elapsedMs: 3 });
    job.handle({ jobId: 'j2', method: null, stage: 'canceled' });
    expect(job.status).toBe('canceled');
    expect(job.progress.vqddm!.stage).toBe('done');
    expect(job.progress.transformer!.stage).toBe('canceled');
  });

  it('records errors with their code', () => {
    const job = new FillJob('j3', ['vqddm']);
    job.handle({ jobId: 'j3', method: 'vqddm', stage: 'error', error: { code: 'ENGINE_FAILURE', message: 'boom' } });
    expect(job.status).toBe('error');
    expect(job.error).toEqual({ code: 'ENGINE_FAILURE', message: 'boom' });
  });

  it('routes events to the job the page named, and ignores other jobs', () => {
    const t = new JobTracker();
    const job = t.begin('j4', ['vqddm']);
    t.handle({ jobId: 'other', method: 'vqddm', stage: 'sampling', step: 3, total: 5, elapsedMs: 9 });
    expect(job.progress.vqddm).toMatchObject({ stage: 'queued', step: 0 });
    t.handle({ jobId: 'j4', method: 'vqddm', stage: 'sampling', step: 2, total: 5, elapsedMs: 9 });
    expect(job.progress.vqddm).toMatchObject({ stage: 'sampling', step: 2 });
    expect(t.running).toBe(true);
    t.handle({ jobId: 'j4', method: null, stage: 'finished', elapsedMs: 10 });
    expect(t.running).toBe(false);
  });
});

describe('ViewState', () => {
  it('zooms around the cursor, keeping the image point under it fixed', () => {
    const v = new ViewState();
    v.x = 10;
    v.y = 20;
    const before = v.toImage(200, 100);
    v.zoomAt(2.5, 200, 100);
    const after = v.toImage(200, 100);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
    expect(v.zoom).toBe(2.5);
  });

  it('fits and centres, enlarging small images at most maxZoom times', () => {
    const v = new ViewState();
    v.fit(4000, 2000, 1000, 800, 0);
    expect(v.zoom).toBeCloseTo(0.25);
    expect(v.y).toBeCloseTo((800 - 500) / 2);
    v.fit(100, 100, 1000, 800, 0, 4);
    expect(v.zoom).toBe(4);
  });
});
