/**
 * Execution providers: which onnxruntime-node providers to try on this platform, in order, with CPU as the
 * fallback; the provider that actually created the sessions is reported to the UI.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type Device = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml'];

/** Providers `auto` tries, best first, per platform. */
const AUTO_TABLE: Record<string, string[]> = {
  linux: ['cuda', 'cpu'],
  win32: ['cuda', 'dml', 'cpu'],
  darwin: ['coreml', 'cpu'],
};

/**
 * Providers that are not bundled with onnxruntime-node (CUDA, TensorRT) are only tried when their shared
 * library was installed next to the binding (`npm run install:cuda`); trying without it fails
 * and makes onnxruntime print an error.
 */
function providerLibraryPresent(name: string): boolean {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const binRoot = join(pkg, 'bin');
    const napi = readdirSync(binRoot).find((d) => d.startsWith('napi-'));
    if (!napi) return false;
    const dir = join(binRoot, napi, process.platform, process.arch);
    return readdirSync(dir).some((f) => f.includes(`providers_${name}`)) && existsSync(dir);
  } catch {
    return false;
  }
}

/** What `auto` may use here: onnxruntime-node's backends, and whether an unbundled one's library is installed. */
export interface BackendTable {
  backends: readonly { name: string; bundled: boolean }[];
  libraryPresent: (name: string) => boolean;
}

const installedBackends = (): BackendTable => ({ backends: ort.listSupportedBackends(), libraryPresent: providerLibraryPresent });

export function providerCandidates(device: Device, platform: string = process.platform, table: BackendTable = installedBackends()): string[] {
  if (device !== 'auto') return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  const usable = new Set(table.backends.filter((b) => b.bundled || table.libraryPresent(b.name)).map((b) => b.name));
  return (AUTO_TABLE[platform] ?? ['cpu']).filter((ep) => ep === 'cpu' || usable.has(ep));
}

/**
 * Why each provider `auto` prefers to the CPU on this platform is not tried: not in this build of
 * onnxruntime-node, or its library not installed. (Providers tried and failed are reported by firstWorkingProvider.)
 */
export function providersNotTried(platform: string = process.platform, table: BackendTable = installedBackends()): string[] {
  const notes: string[] = [];
  for (const ep of AUTO_TABLE[platform] ?? []) {
    if (ep === 'cpu') continue;
    const b = table.backends.find((x) => x.name === ep);
    if (!b) notes.push(`${ep}: not in this build of onnxruntime-node for ${platform}`);
    else if (!b.bundled && !table.libraryPresent(ep)) notes.push(`${ep}: its provider library is not installed (onnxruntime-node fetches it only when asked: npm run install:cuda)`);
  }
  return notes;
}

/**
 * A session's options on a provider: every core, and workers that spin between the kernels of a run and stop
 * spinning the moment it returns (`force_spinning_stop`). Measured on 2 cores (`npm run bench`, "Session
 * options" in docs/BENCHMARKS.md, and A/B runs of 25-40 interleaved fills):
 *  - A diffusion call is some 370 small kernels and a transformer call some 160, and a sleeping worker must
 *    be woken for each: spinning takes a grid-16 diffusion call from 2.4 to 1.7 ms (grid 32: 6.5 to 5.3 ms),
 *    the default VQ-DDM fill from 51 to 44 ms, a grid-32 one from 125 to 116 ms.
 *  - Without the stop, onnxruntime's default, a worker burns about 30 ms of a core after every run, which
 *    the next graph pays for (the default VQ-DDM fill 40 -> 75 ms).
 *  - With workers that sleep, the transformer's per-token calls were faster on one thread; spinning, two
 *    are faster (cached transformer fill 53 -> 44 ms, on a grid-32 hole 205 -> 169 ms).
 */
export function sessionOptions(provider: string): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: Math.max(1, availableParallelism()),
    interOpNumThreads: 1,
    extra: spinOptions(true, true),
  };
}

/** onnxruntime's session config for the intra-op workers: spinning between a run's kernels or not, and whether they stop spinning when the run returns. */
export function spinOptions(spin: boolean, stopWhenDone: boolean): Record<string, unknown> {
  return { session: { intra_op: { allow_spinning: spin ? '1' : '0' }, inter_op: { allow_spinning: '0' }, force_spinning_stop: stopWhenDone ? '1' : '0' } };
}

/**
 * The first provider, in the order `device` asks for, that creates a session for `file`: that provider is
 * then used for every other model of the pack.
 * @returns the session, the provider, and why the providers preferred to it are not in use.
 */
export async function firstWorkingProvider(
  device: Device,
  create: (provider: string) => Promise<ort.InferenceSession>,
): Promise<{ session: ort.InferenceSession; provider: string; notes: string[] }> {
  const failures: string[] = [];
  for (const provider of providerCandidates(device)) {
    try {
      const session = await create(provider);
      const notes = [...(device === 'auto' ? providersNotTried() : []), ...failures.map((f) => f.replace(/^(\w+): /, '$1: failed to start: '))];
      return { session, provider, notes };
    } catch (err) {
      failures.push(`${provider}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load the models (${failures.join('; ')})`);
}
