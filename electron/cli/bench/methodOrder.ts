/**
 * The app's two methods one after the other (each method's whole fill, then the next's) against together
 * (as the engine service runs a fill job, `Engine.runEach`: the model stages in turn, VQ-DDM first, each
 * method's refinement on the refinement workers beside the next one's model stages): when each method's
 * result is ready and when both are, medians of `repeats` after a warm-up.
 */
import type { FillSettings, MaskImage, Method } from '../../shared/contract.js';
import type { Engine } from '../../engine/engine.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { median } from './median.js';

const METHODS: Method[] = ['vqddm', 'transformer'];

export interface MethodOrderRow {
  label: string;
  /** From the start to each method's result. */
  vqddm_ms: number;
  transformer_ms: number;
  /** From the start to the first result, and to both. */
  first_ms: number;
  both_ms: number;
}

export async function compareMethodOrder(engine: Engine, image: Pixels, mask: MaskImage, overrides: Partial<FillSettings>, repeats: number): Promise<MethodOrderRow[]> {
  const fill = (method: Method, seed: number) => engine.fill(image, mask, engine.settings({ ...overrides, methods: [method], seed }), method);
  const orders: { label: string; run: (seed: number) => Promise<Record<Method, number>> }[] = [
    {
      label: 'one after the other',
      run: async (seed) => {
        const t = performance.now();
        const done = {} as Record<Method, number>;
        for (const m of METHODS) {
          await fill(m, seed);
          done[m] = performance.now() - t;
        }
        return done;
      },
    },
    {
      label: 'together (the app)',
      run: async (seed) => {
        const t = performance.now();
        const done = {} as Record<Method, number>;
        const plan = engine.plan(image, mask, engine.settings({ ...overrides, methods: METHODS, seed }));
        await engine.runEach(plan, METHODS, () => ({}), (m) => (done[m] = performance.now() - t));
        return done;
      },
    },
  ];
  const rows: MethodOrderRow[] = [];
  for (const order of orders) {
    const runs: Record<Method, number>[] = [];
    for (let r = -1; r < repeats; r++) {
      const done = await order.run(200 + r);
      if (r >= 0) runs.push(done); // r = -1: warm-up
    }
    rows.push({
      label: order.label,
      vqddm_ms: median(runs.map((d) => d.vqddm)),
      transformer_ms: median(runs.map((d) => d.transformer)),
      first_ms: median(runs.map((d) => Math.min(d.vqddm, d.transformer))),
      both_ms: median(runs.map((d) => Math.max(d.vqddm, d.transformer))),
    });
  }
  return rows;
}
