/**
 * Loads a model pack from a folder: reads and validates the manifest, checks each file exists and matches
 * its sha256 and that every graph's inputs and outputs (read from the file) are the ones the manifest
 * declares, all before any work starts; every failure is a `BAD_PACK` error naming the problem. Then it
 * creates the encoder's session, which every fill needs, on the first provider that takes it; the other
 * sessions are created when first needed (ort/sessions.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { ApiError } from '../../shared/contract.js';
import { graphSignature, type TensorInfo } from '../ort/onnxGraph.js';
import { createCachedSession } from '../ort/optimizedCache.js';
import { firstWorkingProvider, sessionOptions, type Device } from '../ort/providers.js';
import { PackSessions } from '../ort/sessions.js';
import { HashCache } from './hashCache.js';
import { ManifestError, parseManifest, rolesOf, type Manifest, type Role, type TensorSpec } from './manifest.js';

export interface LoadedPack {
  dir: string;
  manifest: Manifest;
  sessions: PackSessions<Role>;
  provider: string;
  /** Why providers preferred to `provider` are not in use. */
  providerNotes: string[];
}

function badPack(dir: string, message: string): ApiError {
  return new ApiError('BAD_PACK', `model pack ${dir}: ${message}`);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A pack's files must be regular files inside it: a symbolic link could point anywhere (and its contents
 * end up in error messages), a FIFO or device would block the reader. Throws BAD_PACK naming the file.
 */
async function plainFile(dir: string, name: string): Promise<Stats> {
  const st = await lstat(join(dir, name));
  if (st.isSymbolicLink()) throw badPack(dir, `${name} is a symbolic link; a pack's files must be plain files inside its folder`);
  if (!st.isFile()) throw badPack(dir, `${name} is not a regular file`);
  // A folder on the way may be a link too (`sub/x.onnx` with `sub` linked elsewhere).
  const [file, folder] = await Promise.all([realpath(join(dir, name)), realpath(dir)]);
  if (!file.startsWith(folder + sep)) throw badPack(dir, `${name} leads out of the pack folder through a symbolic link; a pack's files must be plain files inside its folder`);
  return st;
}

/** Reads and validates manifest.json only (no sessions): for `vqddm info` and the pack picker. */
export async function readManifest(dirIn: string): Promise<Manifest> {
  const dir = resolve(dirIn);
  let text: string;
  try {
    await plainFile(dir, 'manifest.json');
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badPack(dir, 'no readable manifest.json in this folder');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file's first bytes, whatever file this is.
    throw badPack(dir, 'manifest.json is not valid JSON');
  }
  try {
    return parseManifest(raw);
  } catch (err) {
    if (err instanceof ManifestError) throw badPack(dir, `manifest.json: ${err.message}`);
    throw err;
  }
}

/**
 * Checks every declared file exists and matches its checksum; checksums of unchanged files come from the
 * hash cache. Returns how many files were hashed (0 when every one was remembered).
 */
export async function verifyFiles(dir: string, manifest: Manifest, cache?: HashCache): Promise<number> {
  const hashes = cache ?? (await HashCache.open());
  let hashed = 0;
  for (const role of rolesOf(manifest)) {
    const spec = manifest.files[role]!;
    const path = join(dir, spec.path);
    let st: Stats;
    try {
      st = await plainFile(dir, spec.path);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badPack(dir, `${role} file ${spec.path} is missing`);
    }
    let digest = hashes.get(path, st);
    if (digest === undefined) {
      digest = await sha256File(path);
      hashed++;
      hashes.set(path, st, digest);
    }
    if (digest !== spec.sha256) throw badPack(dir, `${role} file ${spec.path} fails its checksum (sha256 ${digest.slice(0, 12)}..., manifest says ${spec.sha256.slice(0, 12)}...)`);
  }
  await hashes.save();
  return hashed;
}

function checkGraphIo(dir: string, role: Role, declared: TensorSpec[], actual: readonly TensorInfo[], kind: string): void {
  for (const t of declared) {
    const meta = actual.find((m) => m.name === t.name);
    if (!meta) throw badPack(dir, `${role} graph has no ${kind} named "${t.name}" (it has ${actual.map((m) => m.name).join(', ')})`);
    if (!meta.isTensor) throw badPack(dir, `${role} ${kind} "${t.name}" is not a tensor`);
    if (meta.type !== t.dtype) throw badPack(dir, `${role} ${kind} "${t.name}" is ${meta.type} in the graph, the manifest says ${t.dtype}`);
    if (meta.shape.length > 0 && meta.shape.length !== t.shape.length) {
      throw badPack(dir, `${role} ${kind} "${t.name}" has rank ${meta.shape.length} in the graph, the manifest says ${t.shape.length}`);
    }
    meta.shape.forEach((d, i) => {
      const want = t.shape[i];
      if (typeof d === 'number' && d >= 0 && typeof want === 'number' && d !== want) {
        throw badPack(dir, `${role} ${kind} "${t.name}" dimension ${i} is ${d} in the graph, the manifest says ${want}`);
      }
    });
  }
}

/** Checks each role's graph, as its file declares it, against the manifest's tensors. */
async function checkGraphs(dir: string, manifest: Manifest): Promise<void> {
  for (const role of rolesOf(manifest)) {
    const spec = manifest.files[role]!;
    let sig: ReturnType<typeof graphSignature>;
    try {
      sig = graphSignature(await readFile(join(dir, spec.path)));
    } catch (err) {
      throw badPack(dir, `${role} file ${spec.path} is not a readable ONNX model (${(err as Error).message})`);
    }
    checkGraphIo(dir, role, spec.inputs, sig.inputs, 'input');
    checkGraphIo(dir, role, spec.outputs, sig.outputs, 'output');
  }
}

export interface LoadOptions {
  /** Session options added to each role's session (e.g. profiling for the bench). */
  extra?: (role: Role) => ort.InferenceSession.SessionOptions;
  /** The optimised-model cache folder; default the user's cache folder; false: no cache. */
  cache?: string | false;
}

export async function loadPack(dirIn: string, device: Device = 'auto', opts: LoadOptions = {}): Promise<LoadedPack> {
  const dir = resolve(dirIn);
  const manifest = await readManifest(dir);
  await verifyFiles(dir, manifest);
  await checkGraphs(dir, manifest);
  const source = (role: Role) => ({ path: join(dir, manifest.files[role]!.path), sha256: manifest.files[role]!.sha256 });
  const sources = Object.fromEntries(rolesOf(manifest).map((r) => [r, source(r)]));
  let first: Awaited<ReturnType<typeof firstWorkingProvider>> & { cached: boolean };
  try {
    let cached = false;
    const chosen = await firstWorkingProvider(device, async (provider) => {
      const made = await createCachedSession(sources.encoder.path, sources.encoder.sha256, provider, { ...sessionOptions(provider), ...opts.extra?.('encoder') }, opts.cache);
      cached = made.cached;
      return made.session;
    });
    first = { ...chosen, cached };
  } catch (err) {
    throw badPack(dir, (err as Error).message);
  }
  const sessions = new PackSessions<Role>(sources, first.provider, opts.extra, opts.cache);
  sessions.adopt('encoder', first.session, first.cached);
  return { dir, manifest, sessions, provider: first.provider, providerNotes: first.notes };
}

export async function releasePack(pack: LoadedPack): Promise<void> {
  await pack.sessions.release();
}
