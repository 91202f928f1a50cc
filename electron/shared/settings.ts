/**
 * The fill settings' one schema: each setting's type, range, default, label and command-line flag. The
 * settings panel, the CLI's option parsing, the engine's validation and the operation table (every
 * transport) all read it, so a range is stated once. Pure TypeScript (the page imports it too).
 */
import * as v from 'valibot';

/** The two samplers the app compares. */
export const METHODS = ['vqddm', 'transformer'] as const;
export type Method = (typeof METHODS)[number];

/** A numeric setting. `max` for steps is further bounded by the pack's T. */
export interface NumberField {
  integer: boolean;
  min: number;
  max: number;
  default: number;
  /** Increment of the panel's spin box. */
  step: number;
  label: string;
  /** Command-line option, without the leading dashes. */
  flag: string;
  help: string;
  /**
   * The model pack states this default (its manifest: how its priors sample best); `default` stands in for
   * a pack that does not.
   */
  fromPack?: true;
}

export const NUMBER_FIELDS = {
  steps: { integer: true, min: 1, max: 10000, default: 10, step: 1, label: 'Steps (VQ-DDM)', flag: 'steps', help: 'VQ-DDM reverse steps, 1..T', fromPack: true },
  samples: { integer: true, min: 1, max: 16, default: 1, step: 1, label: 'Samples per method', flag: 'samples', help: 'candidates per method, batched; N > 1 numbers the files .1, .2, ...' },
  bestOf: { integer: true, min: 1, max: 8, default: 1, step: 1, label: 'Best of (candidates per sample)', flag: 'best-of', help: 'draw N candidates for each sample and keep the one that best continues the pixels around the hole (1 = off)' },
  seed: { integer: true, min: 0, max: 0xffffffff, default: 1, step: 1, label: 'Seed', flag: 'seed', help: 'random seed: same seed, same pixels' },
  temperature: { integer: false, min: 0.05, max: 5, default: 1, step: 0.05, label: 'Temperature', flag: 'temperature', help: 'softmax temperature (1 = the model)' },
  truncation: { integer: false, min: 0.05, max: 1, default: 1, step: 0.05, label: 'Truncation r (VQ-DDM)', flag: 'truncation', help: 'VQ-DDM: keep the top classes up to mass r (1 = off)', fromPack: true },
  topK: { integer: true, min: 0, max: 65536, default: 100, step: 1, label: 'Top-k (transformer, 0 = all)', flag: 'top-k', help: 'transformer: sample among the k most likely codes (0 = all)', fromPack: true },
  /**
   * 0.8: on the validation photos (84 box, blob and stroke cases, VQ-DDM; models/default/REPORT.md) it keeps
   * a detail ratio of 0.64 on boxes and 0.58 on strokes (1: 1.00 and 0.90, the photo's own about 0.95) for
   * 0.15 dB and 0.012 SSIM more on every kind; side by side at the photo's scale the grain reads the same.
   */
  textureStrength: { integer: false, min: 0, max: 1, default: 0.8, step: 0.05, label: 'Texture strength', flag: 'texture-strength', help: "photo texture: how much of the copied structure and grain goes over the anchored fill (0 = none, 1 = grain as strong as the photo's)" },
} as const satisfies Record<string, NumberField>;

/** An on/off refinement stage; the CLI flips its default with `--<flag>` (`--no-...` for those on by default). */
export interface StageField {
  default: boolean;
  label: string;
  flag: string;
  help: string;
}

/**
 * Refinement stages shared by both methods (they refine whatever coarse fill a method gives); all off:
 * the raw method comparison.
 */
export const STAGE_FIELDS = {
  guidedDecoder: { default: true, label: 'Sharp decoder', flag: 'no-guided', help: "decode with the pack's guided decoder, which sees the known pixels, at the photo's own scale" },
  detailPass: { default: false, label: 'Detail pass', flag: 'detail', help: "re-sample the fill's codes at the photo's own scale (one code per 4x4 pixels) from a partly noised start, with the diffusion prior" },
  anchorColours: { default: true, label: 'Colour anchoring', flag: 'no-anchor', help: "replace the fill's broad colours by a smooth continuation of the colours around it, keeping its fine detail only deep in wide holes" },
  photoTexture: { default: true, label: 'Photo texture', flag: 'no-texture', help: "the hole rebuilt from pieces of the photo's own known pixels, placed by the fill: structure and grain" },
} as const satisfies Record<string, StageField>;

export type NumberSetting = keyof typeof NUMBER_FIELDS;
export type StageSetting = keyof typeof STAGE_FIELDS;

/** The settings whose default each model pack states (`fromPack` above). */
export type PackSetting = { [K in NumberSetting]: (typeof NUMBER_FIELDS)[K] extends { fromPack: true } ? K : never }[NumberSetting];
export const PACK_SETTINGS = (Object.keys(NUMBER_FIELDS) as NumberSetting[]).filter((k) => (NUMBER_FIELDS[k] as NumberField).fromPack) as PackSetting[];
/** A pack's defaults for the settings it states. */
export type PackDefaults = Record<PackSetting, number>;

/** A numeric setting's default as a usage text says it. */
export function defaultText(f: NumberField): string {
  return f.fromPack ? "default: the pack's" : `default ${f.default}`;
}

function describe(f: NumberField): string {
  return `${f.integer ? 'an integer' : 'a number'} from ${f.min} to ${f.max}`;
}

/**
 * A value for an error message, never throwing: what arrives may be a BigInt, a cycle or an object without
 * a prototype (a MessagePort carries them), which JSON.stringify and String refuse.
 */
export function shown(x: unknown): string {
  try {
    const text = typeof x === 'bigint' ? `${x}n` : JSON.stringify(x);
    return text === undefined ? String(x) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Array.isArray(x) ? 'a list' : typeof x === 'object' && x !== null ? 'an object' : typeof x;
  }
}

function numberSchema(name: string, f: NumberField, note = '') {
  const message = (issue: { input: unknown }) => `${name} must be ${describe(f)}${note}, got ${shown(issue.input)}`;
  return f.integer
    ? v.pipe(v.number(message), v.finite(message), v.integer(message), v.minValue(f.min, message), v.maxValue(f.max, message))
    : v.pipe(v.number(message), v.finite(message), v.minValue(f.min, message), v.maxValue(f.max, message));
}

function stageSchema(name: string) {
  return v.boolean((issue) => `${name} must be true or false, got ${shown(issue.input)}`);
}

const methodsSchema = v.pipe(
  v.array(v.picklist(METHODS, (issue) => `unknown method ${shown(issue.input)} (use ${METHODS.join(', ')} or both)`), 'methods must be a list'),
  v.minLength(1, `choose at least one method (${METHODS.join(', ')})`),
  v.check((list) => new Set(list).size === list.length, (issue) => `each method may be asked for once, got ${(issue.input as string[]).join(', ')}`),
);

/** The settings schema with `steps` bounded by a pack's T (the schema alone bounds it by NUMBER_FIELDS). */
function settingsSchema(T: number) {
  const steps: NumberField = { ...NUMBER_FIELDS.steps, max: Math.min(T, NUMBER_FIELDS.steps.max) };
  return v.object({
    /** Which samplers run, in this order. */
    methods: methodsSchema,
    steps: numberSchema('steps', steps, T < NUMBER_FIELDS.steps.max ? " (the pack's T)" : ''),
    samples: numberSchema('samples', NUMBER_FIELDS.samples),
    bestOf: numberSchema('best-of', NUMBER_FIELDS.bestOf),
    seed: numberSchema('seed', NUMBER_FIELDS.seed),
    temperature: numberSchema('temperature', NUMBER_FIELDS.temperature),
    truncation: numberSchema('truncation', NUMBER_FIELDS.truncation),
    topK: numberSchema('top-k', NUMBER_FIELDS.topK),
    textureStrength: numberSchema('texture-strength', NUMBER_FIELDS.textureStrength),
    guidedDecoder: stageSchema('guidedDecoder'),
    detailPass: stageSchema('detailPass'),
    anchorColours: stageSchema('anchorColours'),
    photoTexture: stageSchema('photoTexture'),
  });
}

/** Sampling settings for one fill, checked against the ranges above. */
export const fillSettingsSchema = settingsSchema(NUMBER_FIELDS.steps.max);

/** What `fillSettingsSchema` accepts; see each field's entry in NUMBER_FIELDS / STAGE_FIELDS. */
export type FillSettings = v.InferOutput<typeof fillSettingsSchema>;

export const DEFAULT_SETTINGS: FillSettings = {
  methods: [...METHODS],
  steps: NUMBER_FIELDS.steps.default,
  samples: NUMBER_FIELDS.samples.default,
  bestOf: NUMBER_FIELDS.bestOf.default,
  seed: NUMBER_FIELDS.seed.default,
  temperature: NUMBER_FIELDS.temperature.default,
  truncation: NUMBER_FIELDS.truncation.default,
  topK: NUMBER_FIELDS.topK.default,
  textureStrength: NUMBER_FIELDS.textureStrength.default,
  guidedDecoder: STAGE_FIELDS.guidedDecoder.default,
  detailPass: STAGE_FIELDS.detailPass.default,
  anchorColours: STAGE_FIELDS.anchorColours.default,
  photoTexture: STAGE_FIELDS.photoTexture.default,
};

/** A value brought into a numeric setting's range (rounded for integers); anything not a number: the default. */
export function clampSetting(name: NumberSetting, value: unknown): number {
  const f: NumberField = NUMBER_FIELDS[name];
  let n = typeof value === 'number' && Number.isFinite(value) ? value : f.default;
  if (f.integer) n = Math.round(n);
  return Math.min(f.max, Math.max(f.min, n));
}

const perPack = new Map<number, ReturnType<typeof settingsSchema>>();

/**
 * The first problem with `raw` as fill settings, as one sentence naming the setting, or null when it is
 * valid. `T` (the pack's step count) bounds `steps`.
 */
export function settingsProblem(raw: unknown, T: number): string | null {
  let schema = perPack.get(T);
  if (!schema) perPack.set(T, (schema = settingsSchema(T)));
  const r = v.safeParse(schema, raw);
  return r.success ? null : r.issues[0].message;
}
