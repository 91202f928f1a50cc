/**
 * `vqddm info`: print a pack's manifest summary after checking its files and graphs, and the execution
 * provider it runs on (`--device`, default auto) with why any preferred provider is not in use.
 */
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { DEVICES, type Device } from '../engine/ort/providers.js';
import { defaultPackDir } from '../engine/paths.js';
import { usageError } from './args.js';

export async function infoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { pack: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw usageError(`unknown device "${values.device}" (use ${DEVICES.join(', ')})`);
  const engine = await Engine.open(values.pack ?? defaultPackDir(), device);
  try {
    const m = engine.manifest;
    const summary = {
      ...engine.info(),
      files: Object.fromEntries(Object.entries(m.files).map(([role, f]) => [role, { path: f.path, sha256: f.sha256, ok: true }])),
      transformer: m.transformer,
      schedule: m.schedule,
      training: m.training,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const lines = [
      `pack        ${m.name} (${engine.info().packDir})`,
      `description ${m.description}`,
      `image       ${m.imageSize}px, downsample ${m.downsample}, grid ${m.grid} (accepts ${m.grids.join(', ')})`,
      `codebook    K = ${m.K}`,
      `diffusion   T = ${m.T}, cosine s = ${m.schedule.s}, sqrt_alpha = ${m.schedule.sqrtAlpha}, default steps ${m.defaults.steps}, truncation ${m.defaults.truncation}`,
      `transformer ${m.transformer.layers} layers x ${m.transformer.heads} heads x ${m.transformer.headDim}, context ${m.transformer.context}, default top-k ${m.defaults.topK}`,
      ...Object.entries(m.files).map(([role, f]) => `file        ${role.padEnd(11)} ${f.path}  sha256 ok, inputs/outputs ok`),
      `provider    ${engine.info().provider}`,
      ...engine.info().providerNotes.map((n) => `            not in use: ${n}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await engine.dispose();
  }
}
