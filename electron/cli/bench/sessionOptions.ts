/**
 * The engine's session options held against the alternatives, each measured the same way: a fresh engine
 * whose sessions use the alternative, the default VQ-DDM fill and the cached transformer fill (the bench's
 * centre mask, stages off), medians of `repeats` after a warm-up. The engine's choice
 * (`ort/providers.ts sessionOptions`) is the first row.
 */
import { availableParallelism } from 'node:os';
import type * as ort from 'onnxruntime-node';
import type { FillSettings, MaskImage, Method } from '../../shared/contract.js';
import { Engine } from '../../engine/engine.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { spinOptions, type Device } from '../../engine/ort/providers.js';
import type { Role } from '../../engine/packs/manifest.js';
import { median } from './median.js';

export interface SessionOptionRow {
  label: string;
  vqddm_ms: number;
  transformer_ms: number;
}

/**
 * Each alternative: the options a role's session takes over the engine's (`sessionOptions`; an `extra` here
 * replaces the engine's spinning setting).
 */
function alternatives(cores: number): { label: string; options: (role: Role) => ort.InferenceSession.SessionOptions }[] {
  return [
    { label: `engine's choice: ${cores} threads for every graph; workers spin during a run and stop when it returns`, options: () => ({}) },
    { label: 'workers never spinning', options: () => ({ extra: spinOptions(false, false) }) },
    { label: `workers never spinning, the transformer's on 1 thread (the engine's choice before)`, options: (role) => ({ extra: spinOptions(false, false), ...(role === 'transformer' ? { intraOpNumThreads: 1 } : {}) }) },
    { label: `workers spinning on after a run (onnxruntime's default)`, options: () => ({ extra: spinOptions(true, false) }) },
    { label: `the transformer on 1 thread`, options: (role) => (role === 'transformer' ? { intraOpNumThreads: 1 } : {}) },
    { label: '1 thread per session', options: () => ({ intraOpNumThreads: 1 }) },
  ];
}

/**
 * Untimed fills before the timed ones: the first creates the sessions and buffers; the rest let V8 optimise
 * the samplers' JavaScript, which would otherwise count against whichever alternative is measured first.
 */
const WARM_UPS = 3;
/**
 * The pause before each fill, ms: longer than a spinning worker's tail (about 30 ms), so one alternative's
 * workers never run into the next alternative's fill.
 */
const PAUSE_MS = 60;

/**
 * The alternatives are measured interleaved (each round fills once with every engine, starting one further
 * along each time), so a change in the machine's speed during the section falls on all of them alike.
 */
export async function compareSessionOptions(packDir: string, device: Device, image: Pixels, mask: MaskImage, raw: Partial<FillSettings>, repeats: number): Promise<SessionOptionRow[]> {
  const alts = alternatives(availableParallelism());
  const engines: Engine[] = [];
  try {
    for (const alt of alts) engines.push(await Engine.open(packDir, device, { cache: false, extra: alt.options }));
    const times = alts.map(() => ({ vqddm: [] as number[], transformer: [] as number[] }));
    for (let r = -WARM_UPS; r < repeats; r++) {
      for (let k = 0; k < engines.length; k++) {
        const a = (k + Math.max(0, r)) % engines.length;
        for (const method of ['vqddm', 'transformer'] as Method[]) {
          await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
          const t = performance.now();
          await engines[a].fill(image, mask, engines[a].settings({ methods: [method], seed: 100 + r, ...raw }), method);
          if (r >= 0) times[a][method].push(performance.now() - t);
        }
      }
    }
    return alts.map((alt, a) => ({ label: alt.label, vqddm_ms: median(times[a].vqddm), transformer_ms: median(times[a].transformer) }));
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
  }
}
