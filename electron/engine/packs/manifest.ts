/**
 * The model-pack manifest and its validation. The contract is models/pack.schema.json (JSON Schema 2020-12),
 * checked here with ajv: every field, and each role's inputs and outputs, which the engine also reads from it
 * (`CONTRACT`). What a schema cannot say is checked below in code. Pure: no file access here, so every rule
 * can be tested on plain objects. Each problem is named by its JSON pointer (`/latent/grid must be integer`).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { AnySchemaObject, DataValidationCxt, SchemaValidateFunction } from 'ajv/dist/types/index.js';
import schema from '../../../models/pack.schema.json' with { type: 'json' };
import type { ScheduleParams } from '../math/schedule.js';
import { NUMBER_FIELDS, type PackDefaults } from '../../shared/settings.js';

export type RequiredRole = 'encoder' | 'decoder' | 'diffusion' | 'transformer';
/** Files a pack may add: the guided decoder (codes + the known pixels -> pixels at the photo's scale). */
export type OptionalRole = 'guided_decoder';
export type Role = RequiredRole | OptionalRole;

export interface TensorSpec {
  name: string;
  dtype: 'float32' | 'int64';
  /** Fixed sizes, and dynamic dimensions by name (B, H, W, 4H, S, N, P, P+N; also the ONNX graph's dim names). */
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
  /** The settings the pack states defaults for: steps, truncation (VQ-DDM), top-k (transformer). */
  defaults: PackDefaults;
  transformer: { layers: number; heads: number; headDim: number; context: number; startToken: number };
  files: Record<RequiredRole, FileSpec> & Partial<Record<OptionalRole, FileSpec>>;
  training: unknown;
}

// ---- The contract, read from the schema ---------------------------------------------------------------

/** The part of JSON Schema that models/pack.schema.json uses to state its roles and tensors. */
interface SchemaNode {
  $ref?: string;
  const?: unknown;
  title?: string;
  required?: string[];
  properties?: Record<string, SchemaNode>;
  prefixItems?: SchemaNode[];
}
const SCHEMA = schema as unknown as SchemaNode & { $defs: { roles: Record<string, SchemaNode> } };
const DIM_REF = '#/$defs/dims/';

function tensorsOf(list: SchemaNode | undefined): TensorSpec[] {
  return (list?.prefixItems ?? []).map((t) => ({
    name: t.properties!.name.const as string,
    dtype: t.properties!.dtype.const as TensorSpec['dtype'],
    // A size the manifest fixes (K, L, heads, head_dim) by the name of its definition; the rest as stated; a
    // scalar (past_length) has no items.
    shape: (t.properties!.shape.prefixItems ?? []).map((d) => (d.$ref?.startsWith(DIM_REF) ? d.$ref.slice(DIM_REF.length) : (d.const as number | string))),
  }));
}

/**
 * Each role's inputs and outputs, in order, as models/pack.schema.json states them. Shapes are symbolic:
 * K, L, heads and head_dim stand for sizes the manifest fixes (schema `#/$defs/dims`, each `x-equals` a field); a
 * manifest declares those as numbers.
 */
export const CONTRACT = Object.fromEntries(
  Object.entries(SCHEMA.$defs.roles).map(([role, s]) => [role, { inputs: tensorsOf(s.properties?.inputs), outputs: tensorsOf(s.properties?.outputs) }]),
) as Record<Role, { inputs: TensorSpec[]; outputs: TensorSpec[] }>;

/** The one pack format this engine reads (the schema's `format_version`). */
export const FORMAT_VERSION = SCHEMA.properties!.format_version.const as number;
const FILES = SCHEMA.properties!.files;
export const ROLES = FILES.required as RequiredRole[];
export const OPTIONAL_ROLES = Object.keys(FILES.properties!).filter((r) => !(ROLES as string[]).includes(r)) as OptionalRole[];
{
  // The TypeScript role names above must be the schema's (a type cannot be read from a JSON file).
  const typed = { encoder: true, decoder: true, diffusion: true, transformer: true, guided_decoder: false } satisfies Record<Role, boolean>;
  const want = Object.entries(typed).map(([r, required]) => `${r}:${required}`).sort().join();
  const have = [...ROLES.map((r) => `${r}:true`), ...OPTIONAL_ROLES.map((r) => `${r}:false`)].sort().join();
  if (want !== have || Object.keys(CONTRACT).sort().join() !== Object.keys(typed).sort().join()) {
    throw new Error(`models/pack.schema.json declares the roles ${have}, the engine knows ${want}`);
  }
}

/** The roles a pack's manifest declares: every required one, then the optional ones present. */
export function rolesOf(manifest: Manifest): Role[] {
  return [...ROLES, ...OPTIONAL_ROLES.filter((r) => manifest.files[r] !== undefined)];
}

/** A declared tensor's concrete shape, its dynamic dimensions taken from `dims` by name (B, H, 4H, S, P...). */
export function shapeOf(spec: TensorSpec, dims: Readonly<Record<string, number>>): number[] {
  return spec.shape.map((d) => {
    if (typeof d === 'number') return d;
    const size = dims[d];
    if (size === undefined) throw new Error(`tensor "${spec.name}": no size given for its dimension ${d}`);
    return size;
  });
}

// ---- Validation -----------------------------------------------------------------------------------------

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ManifestError';
  }
}

/** The manifest as the schema guarantees it. */
interface RawManifest {
  name?: string;
  description?: string;
  image: { size: number };
  latent: { downsample: number; grid: number; grids?: number[]; codebook_size: number };
  diffusion: { T: number; schedule: { s: number; alpha_clip_min: number; sqrt_alpha: boolean }; default_steps: number; default_truncation?: number };
  transformer: { layers: number; heads: number; head_dim: number; context: number; start_token: number; default_top_k?: number };
  files: Record<RequiredRole, FileSpec> & Partial<Record<OptionalRole, FileSpec>>;
  training?: unknown;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const key of pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** `x-equals`: the value must equal the manifest's field at the given JSON pointer (when that one is there). */
const xEquals: SchemaValidateFunction = (pointer: string, data: unknown, _parent?: AnySchemaObject, cxt?: DataValidationCxt): boolean => {
  const want = valueAt(cxt?.rootData, pointer);
  if (want === undefined || data === want) return true;
  xEquals.errors = [{ keyword: 'x-equals', message: `must equal ${pointer} (${JSON.stringify(want)})`, params: { pointer } }];
  return false;
};

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true });
    ajv.addKeyword({ keyword: 'x-equals', schemaType: 'string', errors: true, validate: xEquals });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return 'nothing';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One schema error as a sentence: where (JSON pointer), what is wanted, what was found. */
function describe(e: ErrorObject): string {
  const at = e.instancePath || 'the manifest';
  const tensorPath = /^\/files\/([a-z_]+)\/(inputs|outputs)\/(\d+)(?:\/|$)/.exec(e.instancePath);
  const tensor = tensorPath && CONTRACT[tensorPath[1] as Role]?.[tensorPath[2] as 'inputs' | 'outputs'][Number(tensorPath[3])];
  const which = tensor ? ` (${tensorPath![1]} ${tensorPath![2].slice(0, -1)} "${tensor.name}")` : '';
  switch (e.keyword) {
    case 'required':
      return `${e.instancePath}/${e.params.missingProperty} is missing${which}`;
    case 'additionalProperties':
      return `${e.instancePath}/${e.params.additionalProperty} is not a field of format_version ${FORMAT_VERSION}${which}`;
    case 'const':
      return `${at} must be ${JSON.stringify(e.params.allowedValue)}, got ${show(e.data)}${which}`;
    case 'enum':
      return `${at} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(e.data)}${which}`;
    case 'pattern':
      return `${at} must be ${e.parentSchema?.title ?? `a string matching ${e.params.pattern}`}, got ${show(e.data)}${which}`;
    default:
      return `${at} ${e.message ?? 'is not valid'}, got ${show(e.data)}${which}`;
  }
}

/** Validates raw manifest JSON and returns the typed manifest, or throws ManifestError listing every problem. */
export function parseManifest(raw: unknown): Manifest {
  const version = (raw as { format_version?: unknown } | null)?.format_version;
  if (version === 1) {
    throw new ManifestError([
      `/format_version is 1, an earlier pack format whose transformer takes its KV cache another way; this engine reads format_version ${FORMAT_VERSION}: export the pack again (python3 -m models.training.export, or --upgrade --transformer CKPT on the pack)`,
    ]);
  }
  const validate = validator();
  if (!validate(raw)) throw new ManifestError((validate.errors ?? []).map(describe));
  const m = raw as RawManifest;

  // What the schema cannot say.
  const problems: string[] = [];
  const { grid, downsample, codebook_size: K } = m.latent;
  const grids = m.latent.grids ?? [grid];
  if (!grids.includes(grid)) problems.push(`/latent/grids must include /latent/grid (${grid}), got ${show(grids)}`);
  if (m.image.size !== grid * downsample) problems.push(`/image/size must equal /latent/grid * /latent/downsample (${grid * downsample}), got ${m.image.size}`);
  if (m.diffusion.default_steps > m.diffusion.T) problems.push(`/diffusion/default_steps must be at most /diffusion/T (${m.diffusion.T}), got ${m.diffusion.default_steps}`);
  if (m.transformer.context !== grid * grid + 1) problems.push(`/transformer/context must be /latent/grid^2 + 1 (${grid * grid + 1}), got ${m.transformer.context}`);
  const roles = [...ROLES, ...OPTIONAL_ROLES.filter((r) => m.files[r] !== undefined)];
  for (const role of roles) {
    // The schema's pattern says so too; this guards the file system whatever the schema says.
    const path = m.files[role]!.path;
    if (path.includes('..') || path.startsWith('/') || path.includes('\\')) problems.push(`/files/${role}/path must be a plain file name inside the pack, got ${show(path)}`);
  }
  if (problems.length > 0) throw new ManifestError(problems);

  return {
    name: m.name ?? 'unnamed',
    description: m.description ?? '',
    imageSize: m.image.size,
    downsample,
    grid,
    grids: [...new Set(grids)].sort((a, b) => a - b),
    K,
    T: m.diffusion.T,
    schedule: { kind: 'cosine', s: m.diffusion.schedule.s, alphaClipMin: m.diffusion.schedule.alpha_clip_min, sqrtAlpha: m.diffusion.schedule.sqrt_alpha },
    defaults: {
      steps: m.diffusion.default_steps,
      truncation: m.diffusion.default_truncation ?? NUMBER_FIELDS.truncation.default,
      topK: m.transformer.default_top_k ?? NUMBER_FIELDS.topK.default,
    },
    transformer: { layers: m.transformer.layers, heads: m.transformer.heads, headDim: m.transformer.head_dim, context: m.transformer.context, startToken: m.transformer.start_token },
    files: Object.fromEntries(roles.map((r) => [r, m.files[r]])) as Manifest['files'],
    training: m.training ?? null,
  };
}
