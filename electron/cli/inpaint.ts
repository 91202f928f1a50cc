/** `vqddm inpaint`: repaint the white area of a mask in a photo, writing one file per method and sample. */
import { constants } from 'node:fs';
import { access, lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError, type Method } from '../shared/contract.js';
import { defaultText, NUMBER_FIELDS, STAGE_FIELDS, type NumberSetting, type StageSetting } from '../shared/settings.js';
import { decodeImage, decodeMask, formatFromPath } from '../engine/image/codec.js';
import { removeStaleTemporaries } from '../engine/io/atomicWrite.js';
import { encodeResult, readSourceMeta } from '../engine/io/imageOutput.js';
import { Engine } from '../engine/engine.js';
import { DEVICES, type Device } from '../engine/ort/providers.js';
import { defaultPackDir } from '../engine/paths.js';
import { readInput } from '../engine/io/readInput.js';
import { applyPatches, type PipelineOutput } from '../engine/pipeline.js';
import { intOption, numberOption, requiredOption, usageError } from './args.js';
import { outputName, writeAllAtomically } from './files.js';

export const INPAINT_USAGE = `vqddm inpaint --image PHOTO --mask MASK --out OUT.png [options]
  --method vqddm|transformer|both   sampler(s) to run (default vqddm); with both, OUT gets .vqddm/.transformer
  --overwrite        replace output files that exist (never the inputs); without it an existing file is refused
${settingsUsage()}
  --pack DIR         model pack folder (default: the shipped pack)
  --device D         auto|cpu|cuda|dml|coreml (default auto)
  --resize-mask      scale a mask of another size to the image
  --quality Q        JPEG/WebP quality 1..100 (default 92; WebP 100 = lossless)
  --json             print one JSON object: files, timings (ms), provider`;

/** The settings' lines of the usage text, from the settings schema. */
function settingsUsage(): string {
  const line = (flag: string, help: string) => `  ${flag.padEnd(19)}${help}`;
  const numbers = Object.values(NUMBER_FIELDS).map((f) => line(`--${f.flag} ${f.integer ? 'N' : 'X'}`, `${f.help} (${f.min}..${f.max}, ${defaultText(f)})`));
  const stages = Object.values(STAGE_FIELDS).map((f) => line(`--${f.flag}`, `${f.default ? 'skip' : 'add'}: ${f.help}`));
  return [...numbers, ...stages, line('', 'with every --no-... and no --detail: the raw fill of each method')].join('\n');
}

/** The file a path names: symlinks and relative parts resolved; a path that does not exist yet, as given. */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/** `--steps -1` as `--steps=-1`: parseArgs would take a negative number for an option of its own. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--') && !argv[i].includes('=') && /^-\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** The folder `out` goes into must exist and be writable, checked before any work. */
async function checkOutputFolder(out: string): Promise<void> {
  const dir = dirname(resolve(out));
  try {
    if (!(await stat(dir)).isDirectory()) throw usageError(`the output folder ${dir} is not a folder`);
    await access(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(code === 'ENOENT' ? `the output folder ${dir} does not exist` : `the output folder ${dir} is not writable (${code})`);
  }
}

export async function inpaintCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      image: { type: 'string' }, mask: { type: 'string' }, out: { type: 'string' }, method: { type: 'string' },
      pack: { type: 'string' }, device: { type: 'string' }, 'resize-mask': { type: 'boolean' }, quality: { type: 'string' }, json: { type: 'boolean' }, overwrite: { type: 'boolean' },
      ...Object.fromEntries(Object.values(NUMBER_FIELDS).map((f) => [f.flag, { type: 'string' as const }])),
      ...Object.fromEntries(Object.values(STAGE_FIELDS).map((f) => [f.flag, { type: 'boolean' as const }])),
    },
    strict: true,
  });
  const imagePath = requiredOption(values.image, 'image');
  const maskPath = requiredOption(values.mask, 'mask');
  const out = requiredOption(values.out, 'out');
  const format = formatFromPath(out);
  if (!format) throw usageError(`--out must end in .png, .jpg, .jpeg or .webp, got "${out}"`);
  await checkOutputFolder(out);
  const methodArg = values.method ?? 'vqddm';
  const methods: Method[] = methodArg === 'both' ? ['vqddm', 'transformer'] : methodArg === 'vqddm' || methodArg === 'transformer' ? [methodArg] : [];
  if (methods.length === 0) throw usageError(`unknown method "${methodArg}" (use vqddm, transformer or both)`);
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw usageError(`unknown device "${values.device}" (use ${DEVICES.join(', ')})`);
  const quality = intOption(values.quality, 'quality', 92);
  if (quality < 1 || quality > 100) throw usageError(`--quality must be from 1 to 100, got ${quality}`);

  // Parse every option before any work, so a typo fails at once.
  const options = values as Record<string, string | boolean | undefined>;
  const number = (name: NumberSetting): number | undefined => {
    const f = NUMBER_FIELDS[name];
    const text = options[f.flag];
    if (typeof text !== 'string') return undefined;
    return f.integer ? intOption(text, f.flag, f.default) : numberOption(text, f.flag, f.default);
  };
  // A stage's flag flips its default: --no-texture turns photo texture off, --detail turns the detail pass on.
  const stage = (name: StageSetting) => (options[STAGE_FIELDS[name].flag] === true ? !STAGE_FIELDS[name].default : STAGE_FIELDS[name].default);
  const given = {
    methods,
    steps: number('steps'),
    samples: number('samples') ?? NUMBER_FIELDS.samples.default,
    bestOf: number('bestOf') ?? NUMBER_FIELDS.bestOf.default,
    seed: number('seed') ?? NUMBER_FIELDS.seed.default,
    temperature: number('temperature') ?? NUMBER_FIELDS.temperature.default,
    truncation: number('truncation'),
    topK: number('topK'),
    textureStrength: number('textureStrength') ?? NUMBER_FIELDS.textureStrength.default,
    guidedDecoder: stage('guidedDecoder'),
    detailPass: stage('detailPass'),
    anchorColours: stage('anchorColours'),
    photoTexture: stage('photoTexture'),
  };

  // Never write over an input, whatever the spelling of its path (./, .., a symlink).
  const outputs = methods.flatMap((m) => Array.from({ length: Math.max(1, given.samples) }, (_, i) => outputName(out, methods.length > 1 ? m : null, given.samples > 1 ? i + 1 : null)));
  const inputs = new Map([[await canonical(imagePath), 'image'], [await canonical(maskPath), 'mask']]);
  for (const o of outputs) {
    const clash = inputs.get(await canonical(o));
    if (clash) throw usageError(`--out would overwrite the input ${clash} ${o}; choose another output name`);
    const existing = await lstat(o).catch(() => null);
    if (existing && !values.overwrite) throw usageError(`--out: ${o} exists; choose another name or pass --overwrite to replace it`);
    if (existing && !existing.isFile()) throw usageError(`--out: ${o} exists and is not a regular file`);
  }
  // Temporaries a killed earlier run left beside these outputs (same names) go now.
  for (const o of outputs) await removeStaleTemporaries(o);

  const t0 = performance.now();
  // The photo and mask decode (sharp, on libuv's threads) while the pack loads and creates the sessions
  // this method needs (on this thread).
  const decoding = (async () => {
    const [imageBytes, maskBytes] = await Promise.all([readInput(imagePath, 'image'), readInput(maskPath, 'mask')]);
    // In the photo's own colour space: written back with its ICC profile, unmasked pixels keep their values.
    // Decoded first: its checks name what is wrong with the file; then its metadata is read.
    const image = await decodeImage(imageBytes, `the image ${imagePath}`, undefined, { ownColourSpace: true });
    const source = await readSourceMeta(imageBytes);
    const mask = await decodeMask(maskBytes, image.pixels.width, image.pixels.height, values['resize-mask'] === true);
    return { image, source, mask, ms: performance.now() - t0 };
  })();
  decoding.catch(() => undefined); // awaited below; a bad input is reported before a bad pack
  let engine: Engine;
  try {
    engine = (await Engine.open(values.pack ?? defaultPackDir(), device)).warm(methods);
  } catch (err) {
    await decoding;
    throw err;
  }
  try {
    const { image, source, mask, ms: imageDecodeMs } = await decoding;
    const settings = engine.settings(given); // what was not given: the pack's defaults
    const plan = engine.plan(image.pixels, mask, settings);
    const files: { path: string; data: Uint8Array }[] = [];
    const timings: Record<string, unknown> = { image_decode: imageDecodeMs };
    // The methods run together (their refinements overlap the next one's model stages); written in order.
    const results = new Map<Method, PipelineOutput>();
    await engine.runEach(plan, methods, () => ({}), (method, result) => results.set(method, result));
    for (const method of methods) {
      const result = results.get(method) as PipelineOutput;
      const t = performance.now();
      for (const [i, sample] of result.samples.entries()) {
        const path = outputName(out, methods.length > 1 ? method : null, result.samples.length > 1 ? i + 1 : null);
        const trace = JSON.stringify({ app: 'VQ-DDM Studio', method, sample: i + 1, seed: sample.seed, pack: engine.manifest.name, settings });
        // The photo's EXIF (orientation 1), ICC profile and depth carried over: the batch's writer.
        files.push({ path, data: await encodeResult(applyPatches(image.pixels, sample.patches), { format, quality, keepAlpha: image.hasAlpha, source, trace }) });
      }
      const { encode, sample, decode, composite, detail, anchor, texture, total, modelRun } = result.timings;
      timings[method] = { encode, sample, vq_decode: decode, composite, detail, anchor, texture, image_encode: performance.now() - t, total, model_run: modelRun, model_calls: result.modelCalls, grids: result.grids, stages: result.stages };
    }
    const w = performance.now();
    await writeAllAtomically(files);
    timings.write = performance.now() - w;
    timings.total = performance.now() - t0;
    const report = { files: files.map((f) => f.path), timings, provider: engine.info().provider, pack: engine.info().packDir, settings };
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else for (const f of report.files) process.stdout.write(`wrote ${f}\n`);
  } finally {
    await engine.dispose();
  }
}
