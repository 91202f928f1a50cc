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
import type { Device } from '../../engine/ort/providers.js';
import type { Role } from '../../engine/packs/manifest.js';
import { median } from './median.js';

export interface SessionOptionRow {
  label: string;
  vqddm_ms: number;
  transformer_ms: number;
}

const spinning = (on: boolean) => ({ session: { intra_op: { allow_spinning: on ? '1' : '0' }, inter_op: { allow_spinning: on ? '1' : '0' } } });

/**
 * Each alternative: the options a role's session takes over the engine's (`sessionOptions`; an `extra` here
 * replaces the engine's spinning setting).
 */
function alternatives(cores: number): { label: string; options: (role: Role) => ort.InferenceSession.SessionOptions }[] {
  return [
    { label: `engine's choice: 1 thread for the transformer (small per-token calls), ${cores} for the rest, workers not spinning`, options: () => ({}) },
    { label: `${cores} threads for every graph, workers not spinning`, options: () => ({ intraOpNumThreads: cores }) },
    { label: `${cores} threads for every graph, workers spinning (onnxruntime's default)`, options: () => ({ intraOpNumThreads: cores, extra: spinning(true) }) },
    { label: '1 thread per session', options: () => ({ intraOpNumThreads: 1 }) },
  ];
}

export async function compareSessionOptions(packDir: string, device: Device, image: Pixels, mask: MaskImage, raw: Partial<FillSettings>, repeats: number): Promise<SessionOptionRow[]> {
  const rows: SessionOptionRow[] = [];
  for (const alt of alternatives(availableParallelism())) {
    const engine = await Engine.open(packDir, device, { cache: false, extra: alt.options });
    try {
      const time = async (method: Method) => {
        const times: number[] = [];
        for (let r = -1; r < repeats; r++) {
          const t = performance.now();
          await engine.fill(image, mask, engine.settings({ methods: [method], seed: 100 + r, ...raw }), method);
          if (r >= 0) times.push(performance.now() - t); // r = -1: warm-up (sessions created, buffers allocated)
        }
        return median(times);
      };
      rows.push({ label: alt.label, vqddm_ms: await time('vqddm'), transformer_ms: await time('transformer') });
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}
