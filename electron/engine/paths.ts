/** Where the shipped model packs are: next to the app (packaged: its resources folder), or in the repo. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding `models/`, found by walking up from this module (bundled or not). */
export function appRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'models', 'README.md')) || existsSync(join(dir, 'models', 'default', 'manifest.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * The pack used when none is chosen: $VQDDM_PACK, else the shipped `models/default`, else the tiny
 * random-weight pack (so a fresh checkout works before the default pack is trained).
 */
export function defaultPackDir(): string {
  if (process.env.VQDDM_PACK) return resolve(process.env.VQDDM_PACK);
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const roots = [resources, appRoot()].filter((r): r is string => typeof r === 'string');
  for (const root of roots) {
    for (const name of ['default', 'tiny']) {
      const dir = join(root, 'models', name);
      if (existsSync(join(dir, 'manifest.json'))) return dir;
    }
  }
  return join(appRoot(), 'models', 'default');
}

/**
 * The user's cache folder for what the engine may recompute (pack checksums, optimised models):
 * $VQDDM_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, %LOCALAPPDATA% on Windows.
 */
export function cacheDir(): string {
  if (process.env.VQDDM_CACHE_DIR) return process.env.VQDDM_CACHE_DIR;
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'vqddm-studio');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vqddm-studio');
}
