/**
 * `vqddm bench`: FLOPs counted from onnxruntime's profiles, the MatMul peak, the floors and the cold start
 * (electron/cli/bench/*). Timings are not asserted (they belong to the bench's own figures), only that
 * each figure is measured and consistent with the others.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { einsumFlops, eventFlops, profileFlops, type ProfileEvent } from '../../electron/cli/bench/flops.js';
import { watchMachine } from '../../electron/cli/bench/machine.js';
import { matmulModel } from '../../electron/engine/ort/onnxGraph.js';
import { ROOT, tempDir, TINY_PACK } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const kernel = (op: string, shapes: number[][], outFloats: number, name = `n_${op}`): ProfileEvent => ({
  cat: 'Node',
  name: `${name}_kernel_time`,
  args: { op_name: op, input_type_shape: shapes.map((s) => ({ float: s })), output_size: String(outFloats * 4) },
});

describe('FLOP counting', () => {
  it('counts convolutions, matrix products (weights pre-packed or not, transposed or not) and Einsums', () => {
    // 3x3 conv 32 -> 64 channels on 16x16, one image: 2 x (64 x 16 x 16) x (32 x 3 x 3)
    expect(eventFlops(kernel('Conv', [[1, 32, 16, 16], [64, 32, 3, 3], [64]], 64 * 256), new Map())).toBe(2 * 64 * 256 * 32 * 9);
    // a depthwise conv: weight [C, 1, k, k]
    expect(eventFlops(kernel('FusedConv', [[1, 8, 4, 4], [8, 1, 3, 3]], 8 * 16), new Map())).toBe(2 * 8 * 16 * 9);
    // batched MatMul [2, 5, 7] x [2, 7, 3]; the same with B left out of the profile (pre-packed weights)
    expect(eventFlops(kernel('MatMul', [[2, 5, 7], [2, 7, 3]], 2 * 5 * 3), new Map())).toBe(2 * 2 * 5 * 3 * 7);
    expect(eventFlops(kernel('MatMul', [[1, 1, 256]], 768), new Map())).toBe(2 * 768 * 256);
    // Gemm with B transposed: A [4, 6], B [5, 6] -> [4, 5]
    expect(eventFlops(kernel('Gemm', [[4, 6], [5, 6]], 20), new Map())).toBe(2 * 20 * 6);
    // attention scores: every distinct index once
    expect(einsumFlops('bhdi,bhdj->bhij', [[1, 4, 16, 256], [1, 4, 16, 256]])).toBe(2 * 4 * 16 * 256 * 256);
    const einsum = kernel('Einsum', [[1, 32, 16, 16], [512, 32]], 512 * 256, '/Einsum');
    expect(eventFlops(einsum, new Map([['/Einsum', 'bdhw,kd->bkhw']]))).toBe(2 * 32 * 256 * 512);
    expect(eventFlops(einsum, new Map())).toBe(0); // no equation, no guess
    // element-wise ops and non-kernel events are not counted
    expect(profileFlops([kernel('Add', [[1, 64]], 64), { cat: 'Session', name: 'model_run' }, kernel('MatMul', [[2, 3], [3, 4]], 8)], new Map())).toBe(2 * 8 * 3);
  });

  it("agrees with onnxruntime's own profile of a MatMul it ran", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const n = 96;
    const session = await ort.InferenceSession.create(matmulModel(n), { enableProfiling: true, profileFilePrefix: join(dir.dir, 'mm') });
    const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3), [n, n]);
    const { C } = await session.run({ A: a, B: a });
    let expected = 0;
    for (let k = 0; k < n; k++) expected += ((k % 7) - 3) * (((k * n) % 7) - 3); // C[0, 0]
    expect(C.data[0]).toBeCloseTo(expected, 3);
    session.endProfiling();
    await session.release();
    const events = JSON.parse(readFileSync(join(dir.dir, readdirSync(dir.dir)[0]), 'utf8')) as ProfileEvent[];
    expect(profileFlops(events, new Map())).toBe(2 * n ** 3);
  });

  it("measures other processes' share of the CPU while it watches", () => {
    const stop = watchMachine();
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i % 3;
    const quiet = stop();
    expect(x).toBeGreaterThan(0);
    expect(quiet.load_avg).toHaveLength(2);
    if (process.platform === 'linux') {
      expect(quiet.foreign_cpu).not.toBeNull();
      expect(quiet.foreign_cpu!).toBeGreaterThanOrEqual(0);
      expect(quiet.foreign_cpu!).toBeLessThanOrEqual(1);
    }
  });
});

describe('vqddm bench', () => {
  it('writes the floors, graph efficiencies and cold start it measured, consistent with its rows', () => {
    const out = tempDir();
    cleanups.push(out.cleanup);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vqddm.js'), 'bench', '--quick', '--pack', TINY_PACK, '--out', out.dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out.dir, 'bench', 'results.json'), 'utf8'));
    expect(res.peak_gflops).toBeGreaterThan(0);
    for (const key of ['vqddm_floor_ms', 'transformer_floor_ms', 'vqddm_g32_ms', 'vqddm_g32_floor_ms', 'transformer_g32_ms', 'cold_start_ms', 'cold_start_first_ms', 'app_first_fill_ms']) {
      expect(res[key], key).toBeGreaterThan(0);
    }
    // a floor is the fill's FLOPs at the measured peak: below the fill's measured time
    expect(res.vqddm_floor_ms).toBeLessThan(res.vqddm_default_ms);
    expect(res.vqddm_g32_floor_ms).toBeGreaterThan(res.vqddm_floor_ms); // four times the cells
    expect(Object.keys(res.graphs)).toEqual(expect.arrayContaining(['encoder g16', 'diffusion g16', 'decoder g16', 'diffusion g32']));
    for (const g of Object.values<any>(res.graphs)) expect(g.mflop / g.ms / res.peak_gflops).toBeCloseTo(g.efficiency, 6);
    const g32 = res.rows.find((row: any) => row.label.includes('grid 32') && row.method === 'vqddm');
    expect(g32.median_ms).toBe(res.vqddm_g32_ms);
    for (const row of res.rows) expect(row.attempts).toBeGreaterThanOrEqual(1);
    expect(res.session_options.map((o: any) => o.label)).toEqual([
      expect.stringMatching(/^engine's choice: \d+ threads for every graph; workers spin during a run and stop when it returns$/),
      'workers never spinning',
      expect.stringMatching(/^workers never spinning, the transformer's on 1 thread/),
      expect.stringMatching(/^workers spinning on after a run/),
      'the transformer on 1 thread',
      '1 thread per session',
    ]);
    for (const o of res.session_options) expect(Math.min(o.vqddm_ms, o.transformer_ms)).toBeGreaterThan(0);
    // the app's first fill: both methods' results came back over the bridge, within the fill's time
    expect(Object.keys(res.app_first_fill.method_ms)).toEqual(['vqddm', 'transformer']);
    for (const v of Object.values<number>(res.app_first_fill.method_ms)) expect(v).toBeLessThanOrEqual(res.app_first_fill_ms);
    expect(res.app_first_fill.start_to_result_ms).toBeGreaterThan(res.app_first_fill.ready_ms);
    // both methods one after the other and together (as the app runs them): the first result comes no later than both
    expect(res.method_order.map((o: any) => o.label)).toEqual(['one after the other', 'together (the app)']);
    for (const o of res.method_order) {
      expect(Math.min(o.vqddm_ms, o.transformer_ms)).toBeGreaterThan(0);
      expect(o.both_ms).toBeGreaterThanOrEqual(o.first_ms);
    }
    const md = readFileSync(join(out.dir, 'docs', 'BENCHMARKS.md'), 'utf8');
    expect(md).toMatch(/## The two methods: one after the other or together[\s\S]*\| together \(the app\) \|[\s\S]*both results [\d.]+ ms against [\d.]+ one after the other/);
    expect(md).toMatch(/\| the app's first fill, asked for the moment its engine is ready .* \| [\d.]+ ms \(vqddm [\d.]+, transformer [\d.]+\) \|/);
    expect(md).toMatch(/## Against the FLOP floor[\s\S]*\| diffusion g16 \|/);
    expect(md).toMatch(/## Session options[\s\S]*\| 1 thread per session \|/);
  }, 180_000);
});
