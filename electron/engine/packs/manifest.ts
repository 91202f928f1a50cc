/**
 * The model-pack manifest (contract: models/README.md) and its validation. Pure: no file access here,
 * so every rule can be tested on plain objects. Each problem is reported by its JSON path.
 */
import type { ScheduleParams } from '../math/schedule.js';

export type RequiredRole = 'encoder' | 'decoder' | 'diffusion' | 'transformer';
/** Files a pack may add: the guided decoder (codes + the known pixels -> pixels at the photo's scale). */
export type OptionalRole = 'guided_decoder';
export type Role = RequiredRole | OptionalRole;
export const ROLES: readonly RequiredRole[] = ['encoder', 'decoder', 'diffusion', 'transformer'];
export const OPTIONAL_ROLES: readonly OptionalRole[] = ['guided_decoder'];

export interface TensorSpec {
  name: string;
  dtype: 'float32' | 'int64';
  shape: (number | string)[];
}

export interface FileSpec {
  path: string;
  sha256: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface Manifest {
  name: string;
  description: string;
  imageSize: number;
  downsample: number;
  grid: number;
  grids: number[];
  K: number;
  T: number;
  schedule: ScheduleParams;
  defaultSteps: number;
  transformer: { layers: number; heads: number; headDim: number; context: number; startToken: number };
  files: Record<RequiredRole, FileSpec> & Partial<Record<OptionalRole, FileSpec>>;
  training: unknown;
}

/** The roles a pack's manifest declares: every required one, then the optional ones present. */
export function rolesOf(manifest: Manifest): Role[] {
  return [...ROLES, ...OPTIONAL_ROLES.filter((r) => manifest.files[r] !== undefined)];
}

/** The tensor names, dtypes and ranks each role must have (models/README.md). */
export const EXPECTED_IO: Record<Role, { inputs: [string, TensorSpec['dtype'], number][]; outputs: [string, TensorSpec['dtype'], number][] }> = {
  encoder: { inputs: [['image', 'float32', 4]], outputs: [['codes', 'int64', 3]] },
  decoder: { inputs: [['codes', 'int64', 3]], outputs: [['image', 'float32', 4]] },
  diffusion: { inputs: [['z_t', 'int64', 3], ['t', 'int64', 1]], outputs: [['log_p0', 'float32', 4]] },
  transformer: { inputs: [['tokens', 'int64', 2], ['past', 'float32', 6]], outputs: [['logits', 'float32', 3], ['present', 'float32', 6]] },
  guided_decoder: { inputs: [['codes', 'int64', 3], ['known', 'float32', 4], ['mask', 'float32', 4]], outputs: [['image', 'float32', 4]] },
};

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ManifestError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates raw manifest JSON and returns the typed manifest, or throws ManifestError listing every problem. */
export function parseManifest(raw: unknown): Manifest {
  const problems: string[] = [];
  const obj = (v: unknown, path: string): Json => {
    if (isObject(v)) return v;
    problems.push(`${path} must be an object`);
    return {};
  };
  const int = (v: unknown, path: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${path} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return min;
    }
    return v;
  };
  const num = (v: unknown, path: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      problems.push(`${path} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return min;
    }
    return v;
  };
  const str = (v: unknown, path: string): string => {
    if (typeof v !== 'string' || v.length === 0) {
      problems.push(`${path} must be a non-empty string`);
      return '';
    }
    return v;
  };

  const root = obj(raw, 'manifest');
  if (root.format !== 'vqddm-pack') problems.push(`format must be "vqddm-pack", got ${JSON.stringify(root.format)}`);
  if (root.format_version !== 1) problems.push(`format_version must be 1, got ${JSON.stringify(root.format_version)}`);
  const image = obj(root.image, 'image');
  const latent = obj(root.latent, 'latent');
  const diffusion = obj(root.diffusion, 'diffusion');
  const schedule = obj(diffusion.schedule, 'diffusion.schedule');
  const tf = obj(root.transformer, 'transformer');
  const files = obj(root.files, 'files');

  const imageSize = int(image.size, 'image.size', 8, 4096);
  const downsample = int(latent.downsample, 'latent.downsample', 1, 64);
  const grid = int(latent.grid, 'latent.grid', 2, 256);
  const K = int(latent.codebook_size, 'latent.codebook_size', 2, 65536);
  let grids = [grid];
  if (latent.grids !== undefined) {
    if (!Array.isArray(latent.grids) || latent.grids.length === 0) problems.push('latent.grids must be a non-empty array');
    else grids = latent.grids.map((g, i) => int(g, `latent.grids[${i}]`, 2, 256));
  }
  if (!grids.includes(grid)) problems.push(`latent.grids must include latent.grid (${grid})`);
  if (imageSize !== grid * downsample) problems.push(`image.size (${imageSize}) must equal latent.grid * latent.downsample (${grid * downsample})`);
  const T = int(diffusion.T, 'diffusion.T', 1, 100000);
  if (schedule.kind !== 'cosine') problems.push(`diffusion.schedule.kind must be "cosine", got ${JSON.stringify(schedule.kind)}`);
  const s = num(schedule.s, 'diffusion.schedule.s', 0, 1);
  const alphaClipMin = num(schedule.alpha_clip_min, 'diffusion.schedule.alpha_clip_min', 0, 1);
  if (typeof schedule.sqrt_alpha !== 'boolean') problems.push('diffusion.schedule.sqrt_alpha must be true or false');
  const defaultSteps = int(diffusion.default_steps, 'diffusion.default_steps', 1, T);
  const layers = int(tf.layers, 'transformer.layers', 1, 256);
  const heads = int(tf.heads, 'transformer.heads', 1, 256);
  const headDim = int(tf.head_dim, 'transformer.head_dim', 1, 4096);
  const context = int(tf.context, 'transformer.context', 2, 1 << 20);
  const startToken = int(tf.start_token, 'transformer.start_token', 0, 1 << 20);
  if (startToken !== K) problems.push(`transformer.start_token must equal latent.codebook_size (${K}), got ${startToken}`);
  if (context !== grid * grid + 1) problems.push(`transformer.context must be grid*grid + 1 (${grid * grid + 1}), got ${context}`);

  const parsedFiles = {} as Manifest['files'];
  for (const role of [...ROLES, ...OPTIONAL_ROLES.filter((r) => files[r] !== undefined)]) {
    const f = obj(files[role], `files.${role}`);
    const path = str(f.path, `files.${role}.path`);
    if (path.includes('..') || path.startsWith('/') || path.includes('\\')) problems.push(`files.${role}.path must be a plain file name inside the pack, got ${JSON.stringify(path)}`);
    const sha256 = str(f.sha256, `files.${role}.sha256`);
    if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) problems.push(`files.${role}.sha256 must be 64 lowercase hex digits`);
    const tensors = (list: unknown, where: string): TensorSpec[] => {
      if (!Array.isArray(list)) {
        problems.push(`files.${role}.${where} must be an array`);
        return [];
      }
      return list.map((t, i) => {
        const o = obj(t, `files.${role}.${where}[${i}]`);
        const dtype = o.dtype === 'float32' || o.dtype === 'int64' ? o.dtype : (problems.push(`files.${role}.${where}[${i}].dtype must be float32 or int64`), 'float32');
        const shape = Array.isArray(o.shape) && o.shape.every((d) => typeof d === 'string' || (Number.isInteger(d) && (d as number) >= 0))
          ? (o.shape as (number | string)[])
          : (problems.push(`files.${role}.${where}[${i}].shape must be an array of sizes and names`), []);
        return { name: str(o.name, `files.${role}.${where}[${i}].name`), dtype, shape };
      });
    };
    const spec: FileSpec = { path, sha256, inputs: tensors(f.inputs, 'inputs'), outputs: tensors(f.outputs, 'outputs') };
    for (const dir of ['inputs', 'outputs'] as const) {
      for (const [name, dtype, rank] of EXPECTED_IO[role][dir]) {
        const t = spec[dir].find((x) => x.name === name);
        if (!t) problems.push(`files.${role}.${dir} must declare tensor "${name}"`);
        else if (t.dtype !== dtype || t.shape.length !== rank) problems.push(`files.${role}.${dir} "${name}" must be ${dtype} of rank ${rank}, declared ${t.dtype} of rank ${t.shape.length}`);
      }
    }
    parsedFiles[role] = spec;
  }

  if (problems.length > 0) throw new ManifestError(problems);
  return {
    name: typeof root.name === 'string' ? root.name : 'unnamed',
    description: typeof root.description === 'string' ? root.description : '',
    imageSize, downsample, grid, grids: [...new Set(grids)].sort((a, b) => a - b), K, T,
    schedule: { kind: 'cosine', s, alphaClipMin, sqrtAlpha: schedule.sqrt_alpha === true },
    defaultSteps,
    transformer: { layers, heads, headDim, context, startToken },
    files: parsedFiles,
    training: root.training ?? null,
  };
}
