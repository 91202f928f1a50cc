/**
 * The built main bundle loaded with the stand-in `electron` module (fake-electron.cjs) in its place: what
 * main-process, batch-dialog and host-ipc tests start from.
 */
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, TINY_PACK } from '../e2e/harness.js';

export const fakePath = join(import.meta.dirname, 'fake-electron.cjs');
const require = createRequire(import.meta.url);

/** Loads out/main/index.cjs on the tiny pack; `restore` undoes the `electron` redirect. */
export function loadMain<T>(): { fake: T; restore: () => void } {
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = (req, ...rest) => (req === 'electron' ? fakePath : original(req, ...rest));
  const restore = () => void (M._resolveFilename = original);
  process.argv.push('--pack', TINY_PACK);
  require(join(ROOT, 'out', 'main', 'index.cjs'));
  return { fake: require(fakePath) as T, restore };
}
