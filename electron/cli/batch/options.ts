/**
 * `vqddm batch` options: parsed and checked before any work, each bad value a one-line error naming its
 * option (exit code 2). Folder checks that need the file system (exists, is a folder, not the input
 * folder unless the results go beside the photos) are here too; writability is `durable.ts`'s probe.
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PAIR_RULES, type PairRule } from '../../shared/batch.js';
import type { ImageFormat } from '../../shared/contract.js';
import { METHODS, NUMBER_FIELDS, type FillSettings, type Method } from '../../shared/settings.js';
import { DEVICES, type Device } from '../../engine/ort/providers.js';
import { defaultPackDir } from '../../engine/paths.js';
import { intOption, usageError } from '../args.js';
import { joinNegativeValues, settingsFromOptions, settingsOptionSpec, settingsUsage, type GivenSettings } from './settingsArgs.js';

/** The pairing rules (shared with the app's Batch view). */
export { PAIR_RULES, type PairRule };

export interface Shard {
  k: number;
  n: number;
}

export interface BatchOptions {
  images: string;
  /** A folder (`stem`) or one file (`single`); absent for `suffix` and `alpha`. */
  masks: string | null;
  pair: PairRule;
  out: string;
  recursive: boolean;
  methods: Method[];
  /** Every fill setting but the methods; those a pack states, absent = the pack's default. */
  settings: GivenSettings;
  /** Output format; null = the input's. */
  format: ImageFormat | null;
  /** JPEG/WebP quality; null = the input's (JPEG: estimated from its tables) or 92. */
  quality: number | null;
  masksOut: boolean;
  /** Also write each item's comparison sheet, `<stem>.compare.jpg`. */
  sheets: boolean;
  /** The results go beside the photos (--out is the --images folder), this appended to their stems; null: own folder. */
  inPlaceSuffix: string | null;
  reference: string | null;
  shard: Shard;
  dryRun: boolean;
  retryFailed: boolean;
  json: boolean;
  report: 'csv' | null;
  pack: string;
  device: Device;
}

export const BATCH_USAGE = `vqddm batch --images DIR --out DIR [options]
                                       fill every photo of a folder; resumable; a run record in --out
  --masks DIR|FILE     the masks: a folder (--pair stem) or one file for every photo (--pair single)
  --pair RULE          how a photo finds its mask (default: stem with a --masks folder, single with a
                       --masks file, else suffix):
                         stem    the same stem in the --masks folder (IMG_1.jpg <-> IMG_1.png)
                         suffix  <stem>_mask.* or <stem>.mask.* beside the photo
                         single  the --masks file for every photo
                         alpha   the photo's own alpha channel: transparent pixels are filled
  --recursive          walk sub-folders; the output mirrors them
  --methods LIST       vqddm,transformer (default both; "both" is accepted)
${settingsUsage({
  samples: `candidates per method (${NUMBER_FIELDS.samples.min}..${NUMBER_FIELDS.samples.max}, default ${NUMBER_FIELDS.samples.default}); N > 1 names them <stem>.<method>-1, -2, ...`,
  seed: `base seed (default ${NUMBER_FIELDS.seed.default}): each photo gets its own seed, derived from it and the\n                       photo's path, so reruns and shards give the same pixels`,
})}
  --format F           png|jpeg|webp (default: the input's: JPEG stays JPEG, PNG stays PNG, 16 bits stay)
  --quality Q          JPEG/WebP quality 1..100 (default: a JPEG's own, estimated; else 92; WebP 100 = lossless)
  --masks-out          also write each mask as used, <stem>.mask.png
  --sheets             also write each photo's comparison sheet, <stem>.compare.jpg: original, mask, each
                       method's results with their times, settings and stages (the editor's Export sheet)
  --in-place-suffix S  write the results beside the photos (--out may be left out), named
                       <stem>S.<method>.<ext>; files named so are never read as photos (e.g. S = _filled)
  --reference DIR      originals with the same stems: record masked PSNR, SSIM and seam per method
  --shard K/N          do every N-th photo, starting with the K-th (many machines, one --out)
  --merge-records DIR  join the shards' records in DIR into DIR/batch.jsonl, and stop
  --dry-run            list every pair and every problem, fill nothing
  --retry-failed       rerun only the items the record says failed
  --report csv         also write batch.csv, one row per item and method
  --pack DIR           model pack folder (default: the shipped pack)
  --device D           auto|cpu|cuda|dml|coreml (default auto)
  --json               print one JSON summary on stdout
  Outputs: <stem>.<method>[-<k>].<ext> in --out, which may not be an input folder unless
  --in-place-suffix is given; an existing file is never replaced. A rerun of the same command resumes. Exit 0: every item done; 1: some failed; 2: bad options.`;

/** Parses `--merge-records DIR [--report csv] [--json]`; null when the argv is a batch run. */
export function parseMergeOptions(argv: string[]): { dir: string; report: 'csv' | null; json: boolean } | null {
  if (!argv.some((a) => a === '--merge-records' || a.startsWith('--merge-records='))) return null;
  const other = argv.find((a) => a.startsWith('--') && !/^--(merge-records|report|json)(=|$)/.test(a));
  if (other) throw usageError(`--merge-records takes only --report and --json, got ${other.split('=')[0]}`);
  const { values } = parseArgs({ args: argv, options: { 'merge-records': { type: 'string' }, report: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const dir = values['merge-records'];
  if (!dir) throw usageError('--merge-records needs a folder');
  return { dir: resolve(dir), report: reportOption(values.report), json: values.json === true };
}

function reportOption(value: string | undefined): 'csv' | null {
  if (value === undefined) return null;
  if (value !== 'csv') throw usageError(`--report must be csv, got "${value}"`);
  return 'csv';
}

/**
 * The suffix that keeps a result's name apart from its photo's: never empty (the result would take the
 * photo's stem) and never a path (the results stay beside their photos).
 */
function inPlaceSuffixOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value === '') throw usageError('--in-place-suffix may not be empty: the results need a suffix that keeps their names apart from the photos\' (e.g. --in-place-suffix _filled)');
  if (/[/\\]/.test(value)) throw usageError(`--in-place-suffix may not hold a path separator (/ or \\), got "${value}": the results go beside their photos`);
  return value;
}

function methodsOption(value: string | undefined): Method[] {
  if (value === undefined) return [...METHODS];
  const list = value.split(',').map((s) => s.trim()).flatMap((s) => (s === 'both' ? [...METHODS] : [s]));
  if (list.length === 0 || list.some((s) => s === '')) throw usageError(`--methods must be a comma-separated list of ${METHODS.join(', ')}, got "${value}"`);
  for (const m of list) if (!(METHODS as readonly string[]).includes(m)) throw usageError(`--methods: unknown method "${m}" (use ${METHODS.join(', ')} or both)`);
  if (new Set(list).size !== list.length) throw usageError(`--methods names a method twice: "${value}"`);
  return list as Method[];
}

function formatOption(value: string | undefined): ImageFormat | null {
  if (value === undefined) return null;
  const f = value.toLowerCase();
  if (f === 'png' || f === 'webp') return f;
  if (f === 'jpeg' || f === 'jpg') return 'jpeg';
  throw usageError(`--format must be png, jpeg or webp, got "${value}"`);
}

export function shardOption(value: string | undefined): Shard {
  if (value === undefined) return { k: 1, n: 1 };
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw usageError(`--shard must be K/N (e.g. 2/4), got "${value}"`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) throw usageError(`--shard K/N needs 1 <= K <= N, got "${value}"`);
  return { k, n };
}

/** A folder that must exist, resolved (symlinks too) so two spellings of one folder compare equal. */
async function folderOption(value: string, name: string): Promise<string> {
  let st;
  try {
    st = await stat(value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(code === 'ENOENT' ? `--${name}: the folder ${value} does not exist` : `--${name}: cannot read ${value} (${code})`);
  }
  if (!st.isDirectory()) throw usageError(`--${name}: ${value} is not a folder`);
  return realpath(value);
}

export async function parseBatchOptions(argv: string[]): Promise<BatchOptions> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      images: { type: 'string' }, masks: { type: 'string' }, pair: { type: 'string' }, out: { type: 'string' }, recursive: { type: 'boolean' },
      methods: { type: 'string' }, format: { type: 'string' }, quality: { type: 'string' }, 'masks-out': { type: 'boolean' }, sheets: { type: 'boolean' },
      'in-place-suffix': { type: 'string' },
      reference: { type: 'string' }, shard: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'retry-failed': { type: 'boolean' },
      json: { type: 'boolean' }, report: { type: 'string' }, pack: { type: 'string' }, device: { type: 'string' },
      ...settingsOptionSpec(),
    },
    strict: true,
    allowPositionals: false,
  });
  // Every value is checked before any folder is looked at, so a typo fails at once.
  if (!values.images) throw usageError('--images is required (the folder of photos)');
  const inPlaceSuffix = inPlaceSuffixOption(values['in-place-suffix']);
  if (!values.out && inPlaceSuffix === null) throw usageError('--out is required (the folder the results go to; or --in-place-suffix S to write them beside the photos)');
  const methods = methodsOption(values.methods);
  const settings = settingsFromOptions(values);
  const format = formatOption(values.format);
  const quality = values.quality === undefined ? null : intOption(values.quality, 'quality', 92);
  if (quality !== null && (quality < 1 || quality > 100)) throw usageError(`--quality must be from 1 to 100, got ${quality}`);
  const shard = shardOption(values.shard);
  const report = reportOption(values.report);
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw usageError(`--device: unknown device "${values.device}" (use ${DEVICES.join(', ')})`);
  if (values.pair !== undefined && !(PAIR_RULES as readonly string[]).includes(values.pair)) throw usageError(`--pair must be one of ${PAIR_RULES.join(', ')}, got "${values.pair}"`);
  if (values['retry-failed'] && values['dry-run']) throw usageError('--retry-failed and --dry-run cannot be combined');

  const images = await folderOption(values.images, 'images');
  let masks: string | null = null;
  let masksIsFile = false;
  if (values.masks !== undefined) {
    let st;
    try {
      st = await stat(values.masks);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw usageError(code === 'ENOENT' ? `--masks: ${values.masks} does not exist` : `--masks: cannot read ${values.masks} (${code})`);
    }
    masksIsFile = st.isFile();
    if (!masksIsFile && !st.isDirectory()) throw usageError(`--masks: ${values.masks} is neither a file nor a folder`);
    masks = await realpath(values.masks);
  }
  const pair = (values.pair as PairRule | undefined) ?? (masks === null ? 'suffix' : masksIsFile ? 'single' : 'stem');
  if (pair === 'stem' && (masks === null || masksIsFile)) throw usageError('--pair stem needs --masks DIR, a folder of masks named like the photos');
  if (pair === 'single' && (masks === null || !masksIsFile)) throw usageError('--pair single needs --masks FILE, the one mask for every photo');
  if ((pair === 'suffix' || pair === 'alpha') && masks !== null) throw usageError(`--pair ${pair} takes no --masks (${pair === 'suffix' ? 'the masks lie beside the photos' : "the photos' alpha channel is the mask"})`);
  if (pair === 'stem' && masks === images) throw usageError('--masks is the --images folder: with masks beside the photos use --pair suffix (<stem>_mask.png)');

  const out = values.out === undefined ? images : await folderOption(values.out, 'out');
  if (inPlaceSuffix !== null && out !== images) throw usageError(`--in-place-suffix writes the results beside the photos: leave out --out or make it the --images folder (not ${out})`);
  const reference = values.reference === undefined ? null : await folderOption(values.reference, 'reference');
  for (const [name, dir] of [['images', inPlaceSuffix === null ? images : null], ['masks', masksIsFile ? null : masks], ['reference', reference]] as const) {
    if (dir === out) throw usageError(`--out is the --${name} folder ${dir}; results go to a folder of their own (choose another --out${name === 'images' ? ', or add --in-place-suffix S to write them beside the photos' : ''})`);
  }
  return {
    images, masks, pair, out, recursive: values.recursive === true, methods, settings, format, quality,
    masksOut: values['masks-out'] === true, sheets: values.sheets === true, inPlaceSuffix, reference, shard, dryRun: values['dry-run'] === true,
    retryFailed: values['retry-failed'] === true, json: values.json === true, report,
    pack: values.pack ?? defaultPackDir(), device,
  };
}
