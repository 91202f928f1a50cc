/**
 * FLOPs of a fill, per graph, counted from onnxruntime's profile of one run of it: the fill runs on a
 * second engine whose sessions profile (no optimised-model cache: the profile must describe the graph this
 * run optimised), and each session's trace is read back (flops.ts).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../engine/engine.js';
import { einsumEquations } from '../../engine/ort/onnxGraph.js';
import type { Device } from '../../engine/ort/providers.js';
import type { Role } from '../../engine/packs/manifest.js';
import { profileFlops, type ProfileEvent } from './flops.js';

export interface GraphCount {
  /** FLOPs of all this graph's calls in the fill. */
  flop: number;
  calls: number;
}

export async function profileFill(packDir: string, device: Device, fill: (engine: Engine) => Promise<unknown>): Promise<Map<Role, GraphCount>> {
  const dir = await mkdtemp(join(tmpdir(), 'vqddm-profile-'));
  try {
    const engine = await Engine.open(packDir, device, { cache: false, extra: (role) => ({ enableProfiling: true, profileFilePrefix: join(dir, role) }) });
    const used = new Set<Role>();
    try {
      await fill(engine);
      for (const [role, session] of await engine.models.pack.sessions.all()) {
        session.endProfiling();
        used.add(role);
      }
    } finally {
      await engine.dispose();
    }
    const out = new Map<Role, GraphCount>();
    for (const file of await readdir(dir)) {
      const role = /^(.+)_\d{4}-\d{2}-\d{2}_/.exec(file)?.[1] as Role | undefined;
      if (!role || !used.has(role)) continue;
      const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as ProfileEvent[];
      const model = await readFile(join(engine.models.pack.dir, engine.manifest.files[role]!.path));
      const calls = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length;
      if (calls > 0) out.set(role, { flop: profileFlops(events, einsumEquations(model)), calls });
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
