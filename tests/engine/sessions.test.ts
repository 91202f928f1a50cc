/**
 * Sessions created when a method first needs them, the optimised-model cache, and the graph checks that
 * run at load without any session (engine/ort/sessions.ts, optimizedCache.ts, onnxGraph.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { loadPack, releasePack } from '../../electron/engine/packs/load.js';
import { einsumEquations, graphSignature } from '../../electron/engine/ort/onnxGraph.js';
import { copyOfTinyPack, photo, rectMask, tempDir, TINY_PACK } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function scratch(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A copy of the tiny pack with `edit` applied to its manifest (checksums recomputed for changed files). */
function editedPack(edit: (dir: string, manifest: Record<string, any>) => void): string {
  const copy = copyOfTinyPack();
  cleanups.push(copy.cleanup);
  const path = join(copy.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  edit(copy.dir, manifest);
  for (const f of Object.values<any>(manifest.files)) f.sha256 = createHash('sha256').update(readFileSync(join(copy.dir, f.path))).digest('hex');
  writeFileSync(path, JSON.stringify(manifest));
  return copy.dir;
}

describe('pack sessions', () => {
  it('opens with the encoder only, and a fill creates just the graphs its method runs', async () => {
    const engine = await Engine.open(TINY_PACK, 'cpu');
    try {
      const sessions = engine.models.pack.sessions;
      expect(sessions.created()).toEqual(['encoder']);
      const image = await photo();
      await engine.fill(image, rectMask(image.width, image.height, 40, 40, 24, 24), engine.settings({ methods: ['vqddm'], guidedDecoder: false }), 'vqddm');
      expect(sessions.created().sort()).toEqual(['decoder', 'diffusion', 'encoder']);
      engine.warm(['transformer']);
      expect(sessions.created()).toContain('transformer');
    } finally {
      await engine.dispose();
    }
  });

  it('caches each optimised model and loads it from there next time; a damaged entry is rebuilt', async () => {
    const cache = scratch();
    const first = await loadPack(TINY_PACK, 'cpu', { cache });
    await first.sessions.get('diffusion');
    expect([...first.sessions.fromCache]).toEqual([]);
    await releasePack(first);
    const files = readdirSync(join(cache, 'ort-optimized'));
    expect(files.filter((f) => f.endsWith('.onnx'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await loadPack(TINY_PACK, 'cpu', { cache });
    await second.sessions.get('diffusion');
    expect([...second.sessions.fromCache].sort()).toEqual(['diffusion', 'encoder']);
    await releasePack(second);

    for (const f of files) writeFileSync(join(cache, 'ort-optimized', f), 'not a model');
    const third = await loadPack(TINY_PACK, 'cpu', { cache });
    await third.sessions.get('diffusion');
    expect([...third.sessions.fromCache]).toEqual([]);
    await releasePack(third);
    for (const f of files) expect(readFileSync(join(cache, 'ort-optimized', f)).length).toBeGreaterThan(1000);
  });

  it('checks every graph against the manifest at load, before creating its session', async () => {
    // the transformer's file replaced by the decoder's: found at load, though no fill has asked for it
    const dir = editedPack((d, m) => writeFileSync(join(d, m.files.transformer.path), readFileSync(join(d, m.files.decoder.path))));
    await expect(Engine.open(dir, 'cpu')).rejects.toMatchObject({ code: 'BAD_PACK', message: expect.stringMatching(/transformer graph has no input named "tokens" \(it has codes\)/) });
    const junk = editedPack((d, m) => writeFileSync(join(d, m.files.diffusion.path), 'not onnx at all'));
    await expect(Engine.open(junk, 'cpu')).rejects.toThrow(/diffusion file diffusion\.onnx is not a readable ONNX model/);
  });

  it('reads a graph signature and its Einsum equations from the file as onnxruntime sees them', async () => {
    const engine = await Engine.open(TINY_PACK, 'cpu');
    try {
      for (const role of ['encoder', 'diffusion'] as const) {
        const bytes = readFileSync(join(TINY_PACK, engine.manifest.files[role]!.path));
        const session = await engine.models.pack.sessions.get(role);
        const sig = graphSignature(bytes);
        expect(sig.inputs).toEqual(session.inputMetadata);
        expect(sig.outputs).toEqual(session.outputMetadata);
      }
      const equations = einsumEquations(readFileSync(join(TINY_PACK, engine.manifest.files.encoder.path)));
      expect([...equations.values()]).toContain('bdhw,kd->bkhw'); // the nearest-code lookup
    } finally {
      await engine.dispose();
    }
  });
});
