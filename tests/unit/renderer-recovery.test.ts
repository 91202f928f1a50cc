import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../../electron/shared/contract';
import type { Edit } from '../../renderer/lib/edits';
import { blitRgba, cropRgba } from '../../renderer/lib/images';
import { planRecovery, replayRecovery, type Recovery, type RecoveryWrite } from '../../renderer/lib/recovery';
import type { RecoveryBackend } from '../../renderer/lib/recoveryStore';
import type { SavedEntry } from '../../renderer/lib/savedEntry';
import { restoredEntries } from '../../renderer/lib/recoveryEntries';
import { Autosave, type AutosaveSnapshot } from '../../renderer/state/autosave.svelte';
import { ResultHistory } from '../../renderer/state/results.svelte';
import { DEFAULT_SETTINGS } from '../../electron/shared/contract';
import { EditHistory } from '../../renderer/state/history.svelte';

const image = (w: number, h: number, v = 10): RgbaImage => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(v) });
const stroke = (x: number) => ({ kind: 'stroke' as const, erase: false, size: 4, hardness: 1, points: [x, x, x + 1, x] });

/** An applied result over `img` (changing it, as apply does): a w x h square of value `v` at (x, y). */
function apply(img: RgbaImage, x: number, y: number, w: number, v: number) {
  const after = new Uint8Array(w * w * 4).fill(v);
  const before = cropRgba(img, x, y, w, w);
  blitRgba(img, x, y, w, w, after);
  return [{ x, y, width: w, height: w, before, after }];
}

/** A history with two strokes around an applied result, and one more applied result undone. */
function session() {
  const img = image(16, 16);
  const h = new EditHistory();
  h.push({ kind: 'mask', op: stroke(1) });
  h.push({ kind: 'apply', label: 'Apply vqddm', patches: apply(img, 2, 2, 4, 200) });
  h.markSaved();
  h.push({ kind: 'mask', op: stroke(5) });
  const second = h.push({ kind: 'apply', label: 'Apply transformer', patches: apply(img, 3, 3, 4, 90) });
  h.undo();
  if (second.kind === 'apply') for (const p of second.patches) blitRgba(img, p.x, p.y, p.width, p.height, p.before);
  return { img, h };
}

class MemoryBackend implements RecoveryBackend {
  records = new Map<string, unknown>();
  writes: RecoveryWrite[] = [];
  async load(): Promise<Recovery | null> {
    const doc = this.records.get('doc') as Recovery['doc'] | undefined;
    const state = this.records.get('state') as Recovery['state'] | undefined;
    if (!doc || !state) return null;
    const patches = new Map([...this.records].filter(([k]) => k.startsWith('patch:')) as [string, never][]);
    const entryPixels = new Map([...this.records].filter(([k]) => k.startsWith('entry:')) as [string, never][]);
    return { doc, state, patches, entryPixels };
  }
  async write(w: RecoveryWrite): Promise<void> {
    this.writes.push(w);
    if (w.doc) {
      this.records.clear();
      this.records.set('doc', w.doc);
    }
    for (const [k, v] of w.put) this.records.set(k, v);
    for (const k of w.remove) this.records.delete(k);
    this.records.set('state', w.state);
  }
  async clear(): Promise<void> {
    this.records.clear();
  }
}

describe('recovery copy (autosave)', () => {
  it('stores each applied result once, as its after pixels, and the saved point', () => {
    const { h } = session();
    const plan = planRecovery(1000, h.done, h.undone, h.savedId, { steps: 7 })!;
    expect(plan.state.done.map((e) => e.kind)).toEqual(['mask', 'apply', 'mask']);
    expect(plan.state.undone.map((e) => e.kind)).toEqual(['apply']);
    expect(plan.state.savedIndex).toBe(2);
    expect(plan.state.dropped).toBe(0);
    expect(plan.patches.size).toBe(2);
    for (const ps of plan.patches.values()) for (const p of ps) expect(Object.keys(p).sort()).toEqual(['after', 'height', 'width', 'x', 'y']);
    // the same history planned again gives the same keys: nothing is stored twice
    expect([...planRecovery(1000, h.done, h.undone, h.savedId, {})!.patches.keys()]).toEqual([...plan.patches.keys()]);
  });

  it('rebuilds the image, undo and redo from the file and the copy', () => {
    const { img, h } = session();
    const plan = planRecovery(0, h.done, h.undone, h.savedId, {})!;
    const fresh = image(16, 16);
    const out = replayRecovery(fresh, plan);
    expect(out.complete).toBe(true);
    expect(fresh.data).toEqual(img.data);
    const restored = new EditHistory();
    restored.restore(out.done, out.undone, plan.state.savedIndex);
    expect(restored.dirty).toBe(true);
    expect(restored.maskOps).toEqual([stroke(5)]);
    // undo the stroke and the first apply: the file's own pixels again
    restored.undo();
    restored.undo();
    expect(restored.dirty).toBe(true);
    const e = restored.undone[restored.undone.length - 1]!;
    if (e.kind !== 'apply') throw new Error('expected the applied result');
    for (const p of e.patches) blitRgba(fresh, p.x, p.y, p.width, p.height, p.before);
    expect(fresh.data.every((v) => v === 10)).toBe(true);
    // redo stack: the second applied result's before pixels are what was there
    const top = out.undone[0]!;
    expect(top.kind).toBe('apply');
  });

  it('keeps the history up to the last edit within the limit, and nothing for a file over it', () => {
    const { h } = session();
    // counted: a stroke of 4 points 96 B, an applied result 4x4x4 = 64 B of pixels + 128 B: 384 B done
    const plan = planRecovery(1000, h.done, h.undone, h.savedId, {}, 1000 + 384)!;
    expect(plan.state.done.map((e) => e.kind)).toEqual(['mask', 'apply', 'mask']);
    expect(plan.state.undone).toEqual([]);
    expect(plan.state.dropped).toBe(1);
    const tight = planRecovery(1000, h.done, h.undone, h.savedId, {}, 1000 + 100)!;
    expect(tight.state.done.map((e) => e.kind)).toEqual(['mask']);
    expect(tight.state.savedIndex).toBe(1);
    expect(planRecovery(2000, h.done, h.undone, h.savedId, {}, 1000)).toBeNull();
  });

  it('writes a moment after changes, the file once, each applied result once, and drops the copy without edits', async () => {
    const { h } = session();
    const backend = new MemoryBackend();
    let snap: AutosaveSnapshot = { done: [], undone: [], savedId: 0, settings: {}, entries: [] };
    const auto = new Autosave(backend, () => snap, 5);
    auto.begin({ name: 'a.jpg', bytes: new Uint8Array(100), openedAt: 1 });
    await auto.flush();
    expect(backend.writes).toHaveLength(0);
    expect(auto.status).toBe('idle');
    snap = { done: h.done, undone: h.undone, savedId: h.savedId, settings: { steps: 7 }, entries: [] };
    auto.schedule();
    expect(auto.status).toBe('pending');
    await new Promise((r) => setTimeout(r, 30));
    await auto.flush();
    expect(auto.status).toBe('saved');
    expect(backend.writes[0]!.doc?.name).toBe('a.jpg');
    expect(backend.writes[0]!.put.size).toBe(2);
    // a stroke later: the history record only
    const more: Edit[] = [...h.done, { id: 99, kind: 'mask', op: stroke(9) }];
    snap = { ...snap, done: more, undone: [] };
    await auto.flush();
    const last = backend.writes[backend.writes.length - 1]!;
    expect(last.doc).toBeUndefined();
    expect(last.put.size).toBe(0);
    expect(last.remove).toHaveLength(1); // the undone result left the history
    const rec = (await backend.load())!;
    expect(rec.state.done).toHaveLength(4);
    expect(rec.patches.size).toBe(1);
    // restored: nothing rewritten until it changes
    const again = new Autosave(backend, () => snap, 5);
    again.begin(rec.doc, rec);
    await again.flush();
    expect(backend.writes[backend.writes.length - 1]!.doc).toBeUndefined();
    expect(backend.writes[backend.writes.length - 1]!.put.size).toBe(0);
    // everything undone: no copy
    snap = { done: [], undone: more, savedId: 0, settings: {}, entries: [] };
    await again.flush();
    expect(backend.records.size).toBeGreaterThan(0);
    snap = { done: [], undone: [], savedId: 0, settings: {}, entries: [] };
    await again.flush();
    expect(backend.records.size).toBe(0);
  });

  it('says once when the copy cannot hold everything', async () => {
    const { h } = session();
    const backend = new MemoryBackend();
    const snap: AutosaveSnapshot = { done: h.done, undone: h.undone, savedId: h.savedId, settings: {}, entries: [] };
    const auto = new Autosave(backend, () => snap, 5, 1000 + 384);
    auto.begin({ name: 'a.jpg', bytes: new Uint8Array(1000), openedAt: 1 });
    await auto.flush();
    expect(auto.problem).toMatch(/leaves out the last edit\. Save/);
    const big = new Autosave(backend, () => snap, 5, 500);
    big.begin({ name: 'huge.tif', bytes: new Uint8Array(1000), openedAt: 1 });
    await big.flush();
    expect(big.problem).toMatch(/huge\.tif is over 0 MB, too large for a recovery copy/);
    expect(backend.records.size).toBe(0);
  });

  it("keeps the results history: each entry's pixels once, newest first within the limit, then restored", async () => {
    const { h } = session();
    const results = new ResultHistory();
    /** A fill's entry: a patch of `side` x `side` pixels (RGBA and mask) and a 2x2 thumbnail. */
    const entry = (seed: number, side = 8): Omit<SavedEntry, 'fill'> => ({
      sample: 0,
      samples: 1,
      result: { method: 'vqddm', timings: { encode: 1, sample: 2, decode: 3, composite: 4, detail: 0, anchor: 0, texture: 0, total: 10, modelRun: 0 }, modelCalls: 4, grids: [16], stages: ['coarse'], provider: 'cpu', settings: { ...DEFAULT_SETTINGS, seed } },
      madeAt: seed,
      patches: [{ x: 1, y: 2, image: { width: side, height: side, data: new Uint8Array(side * side * 4).fill(seed) }, mask: new Uint8Array(side * side).fill(255) }],
      thumb: { width: 2, height: 2, data: new Uint8Array(16).fill(seed) },
    });
    results.add('fill-1', [entry(1)]);
    results.add('fill-2', [entry(2), entry(3)]);
    const backend = new MemoryBackend();
    let snap: AutosaveSnapshot = { done: h.done, undone: h.undone, savedId: h.savedId, settings: {}, entries: results.entries };
    const auto = new Autosave(backend, () => snap, 5);
    auto.begin({ name: 'a.jpg', bytes: new Uint8Array(100), openedAt: 1 });
    await auto.flush();
    expect([...backend.writes[0]!.put.keys()].filter((k) => k.startsWith('entry:'))).toHaveLength(3);
    // Dismissing one: its record goes, nothing is written again
    results.dismiss([results.entries[0]!.id]);
    snap = { ...snap, entries: results.entries };
    await auto.flush();
    const last = backend.writes[backend.writes.length - 1]!;
    expect(last.put.size).toBe(0);
    expect(last.remove.filter((k) => k.startsWith('entry:'))).toHaveLength(1);
    // Read back (as after a reload): the entries, their pixels and settings, oldest first
    const rec = (await backend.load())!;
    const back = restoredEntries(rec.state.entries!, rec.entryPixels!);
    expect(back.map((e) => [e.fill, e.result.settings.seed, e.madeAt])).toEqual([[2, 2, 2], [2, 3, 3]]);
    expect(back[1]!.patches![0]!.image.data).toEqual(new Uint8Array(8 * 8 * 4).fill(3));
    expect(back[1]!.patches![0]!.mask[0]).toBe(255);
    expect(back[1]!.thumb.data[0]).toBe(3);
    // restored into a history: nothing is stored again
    const again = new ResultHistory();
    again.restore(back);
    const auto2 = new Autosave(backend, () => ({ ...snap, entries: again.entries }), 5);
    auto2.begin(rec.doc, rec);
    await auto2.flush();
    expect(backend.writes[backend.writes.length - 1]!.put.size).toBe(0);
    // A small limit: the newest whole, an older one as its thumbnail and settings, said once
    const tight = new MemoryBackend();
    const small = new Autosave(tight, () => ({ ...snap, done: [], undone: [], entries: [entry(4, 16), entry(5, 16)].map((e, i) => ({ ...e, fill: i + 1 })) }), 5, 100 + 16 * 16 * 5 + 400 + 300);
    small.begin({ name: 'b.jpg', bytes: new Uint8Array(100), openedAt: 1 });
    await small.flush();
    const kept = (await tight.load())!;
    expect(restoredEntries(kept.state.entries!, kept.entryPixels!).map((e) => [e.result.settings.seed, e.patches !== null])).toEqual([[4, false], [5, true]]);
    expect(small.problem).toMatch(/of the results history it keeps only the thumbnail and settings of 1 older result\. Save a project/);
    // A copy with results but no edits is kept (and offered back)
    expect(tight.records.has('state')).toBe(true);
  });
});
