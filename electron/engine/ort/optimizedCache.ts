/**
 * onnxruntime's optimised form of each model, cached on disk so that later starts load it without
 * re-optimising. Creating a session optimises the graph every time (fusions, layout changes: most of a
 * session's creation time); with `optimizedModelFilePath` onnxruntime writes the result, and a session
 * created from that file with optimisation disabled is ready at once.
 *
 * The optimised file holds layout choices for this CPU (NCHWc blocks, fused kernels), so it is keyed by
 * everything it depends on: the model file's sha256, onnxruntime's version, the provider, the CPU model,
 * the platform and architecture, and the session options. Only the CPU provider is cached: other
 * providers compile parts of the graph into nodes that cannot be saved. A cached file that fails to load is
 * deleted and the model optimised again; a cache folder that cannot be written only means no cache.
 * Files are written under a temporary name and renamed, so a crash never leaves half a model behind.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cacheDir } from '../paths.js';

/** The cache's file for a model of this sha256 under these options, or null when it cannot be cached. */
export function optimizedPath(sha256: string, provider: string, options: ort.InferenceSession.SessionOptions, dir: string | false = cacheDir()): string | null {
  if (provider !== 'cpu' || dir === false) return null;
  const key = JSON.stringify({ sha256, ort: ort.env.versions.node, provider, cpu: cpus()[0]?.model ?? '', platform: process.platform, arch: arch(), options });
  return join(dir, 'ort-optimized', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.onnx`);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * A session for `file` (whose sha256 is `sha256`) with `options`, loaded from the cache when it holds the
 * optimised model, else created from `file` while writing the optimised model into the cache.
 * @returns the session and whether it came from the cache.
 */
export async function createCachedSession(file: string, sha256: string, provider: string, options: ort.InferenceSession.SessionOptions, dir?: string | false): Promise<{ session: ort.InferenceSession; cached: boolean }> {
  const path = optimizedPath(sha256, provider, options, dir);
  if (!path) return { session: await ort.InferenceSession.create(file, options), cached: false };
  if (await exists(path)) {
    try {
      return { session: await ort.InferenceSession.create(path, { ...options, graphOptimizationLevel: 'disabled' }), cached: true };
    } catch {
      await rm(path, { force: true }); // damaged or from another build: optimise again
    }
  }
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(join(path, '..'), { recursive: true });
    // level 3: onnxruntime warns that the file is specific to this machine, which the cache key accounts for
    const session = await ort.InferenceSession.create(file, { ...options, optimizedModelFilePath: tmp, logSeverityLevel: 3 });
    await rename(tmp, path).catch(() => rm(tmp, { force: true }));
    return { session, cached: false };
  } catch {
    // Under a cache path that cannot be a folder, rm fails too (ENOTDIR): the session is still made.
    await rm(tmp, { force: true }).catch(() => undefined);
    return { session: await ort.InferenceSession.create(file, options), cached: false };
  }
}
