import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { firstWorkingProvider, providerCandidates, providersNotTried, type BackendTable } from '../../electron/engine/ort/providers.js';
import { ROOT, TINY_PACK } from './helpers.js';

const table = (backends: BackendTable['backends'], installed: string[] = []): BackendTable => ({ backends, libraryPresent: (n) => installed.includes(n) });
const cpu = { name: 'cpu', bundled: true };

describe('execution providers: which are tried and why the others are not', () => {
  it('Linux: CUDA only when its library was installed, and says so when not', () => {
    const t = table([cpu, { name: 'cuda', bundled: false }]);
    expect(providerCandidates('auto', 'linux', t)).toEqual(['cpu']);
    expect(providersNotTried('linux', t)).toEqual([expect.stringMatching(/^cuda: its provider library is not installed .*npm run install:cuda/)]);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['install:cuda']).toBe('node scripts/install-cuda.mjs');
    const installed = table([cpu, { name: 'cuda', bundled: false }], ['cuda']);
    expect(providerCandidates('auto', 'linux', installed)).toEqual(['cuda', 'cpu']);
    expect(providersNotTried('linux', installed)).toEqual([]);
  });

  it('Windows: DirectML bundled; a provider missing from the build is named', () => {
    const t = table([cpu, { name: 'dml', bundled: true }]);
    expect(providerCandidates('auto', 'win32', t)).toEqual(['dml', 'cpu']);
    expect(providersNotTried('win32', t)).toEqual(['cuda: not in this build of onnxruntime-node for win32']);
  });

  it('an explicit device is tried first, then the CPU; the notes reach EngineInfo', async () => {
    expect(providerCandidates('coreml', 'linux', table([cpu]))).toEqual(['coreml', 'cpu']);
    const engine = await Engine.open(TINY_PACK, 'auto');
    try {
      const info = engine.info();
      expect(Array.isArray(info.providerNotes)).toBe(true);
      if (info.provider === 'cpu') for (const n of info.providerNotes) expect(n).toMatch(/^(cuda|dml|coreml): /);
    } finally {
      await engine.dispose();
    }
  });

  it('a provider that fails to start is named with its error, and the next one is used', async () => {
    const tried: string[] = [];
    const made = await firstWorkingProvider('cuda', async (provider) => {
      tried.push(provider);
      if (provider === 'cuda') throw new Error('CUDA failure 100: no CUDA-capable device is detected\n(stack)');
      return { release: async () => undefined } as unknown as ort.InferenceSession;
    });
    expect(tried).toEqual(['cuda', 'cpu']);
    expect(made.provider).toBe('cpu');
    expect(made.notes).toEqual(['cuda: failed to start: CUDA failure 100: no CUDA-capable device is detected']);
    await expect(firstWorkingProvider('cpu', async () => { throw new Error('bad model'); })).rejects.toThrow('no execution provider could load the models (cpu: bad model)');
  });
});
