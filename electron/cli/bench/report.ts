/** docs/BENCHMARKS.md from one bench run's results: every figure in it comes from that run. */
import type { Method } from '../../shared/contract.js';

/** One measured configuration of `npm run bench`. */
export interface Row {
  label: string;
  method: Method;
  steps: number | null;
  samples: number;
  cached: boolean;
  median_ms: number;
  model_calls: number;
  encode_ms: number;
  sample_ms: number;
  vq_decode_ms: number;
  composite_ms: number;
  anchor_ms: number;
  texture_ms: number;
  /** Refinement stages that ran (MethodResult.stages). */
  stages: string[];
  overhead_fraction: number;
}

export interface QualityPoint {
  steps: number;
  psnr_db: number;
  median_ms: number;
}

interface Results {
  date: string;
  machine: { cpu: string; cores: number; platform: string };
  pack: string;
  image: { path: string; width: number; height: number; mask_pixels: number };
  repeats: number;
  provider: string;
  image_decode_ms: number;
  overhead_fraction: number;
  vqddm_default_steps: number;
  vqddm_recommended_steps: number;
  vqddm_default_ms: number;
  transformer_cached_ms: number;
  transformer_uncached_ms: number;
  samples4_over_samples1: number;
  samples8_over_samples1: number;
  vqddm_default_vs_cached: number;
  uncached_over_vqddm_default: number;
  rows: Row[];
  samples: Row[];
  quality: QualityPoint[];
  transformer_psnr_db: number;
  full_pipeline: { width: number; height: number; mask_pixels: number; rows: Row[] };
  load_avg: { before: number; after: number };
}

const ms = (v: number) => v.toFixed(1);

export function benchMarkdown(r: Results, command: string): string {
  const table = (rows: Row[]) => [
    '| run | median ms | model calls | encode | sampling | decode | composite | anchor | texture | overhead |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((x) => `| ${x.label} | ${ms(x.median_ms)} | ${x.model_calls} | ${ms(x.encode_ms)} | ${ms(x.sample_ms)} | ${ms(x.vq_decode_ms)} | ${ms(x.composite_ms)} | ${ms(x.anchor_ms)} | ${ms(x.texture_ms)} | ${(x.overhead_fraction * 100).toFixed(1)}% |`),
  ];
  const best = Math.max(...r.quality.map((q) => q.psnr_db));
  const bar = (v: number) => '#'.repeat(Math.max(1, Math.round((v / best) * 40)));
  return [
    '# Benchmarks',
    '',
    `Measured by \`${command}\` on ${r.date.slice(0, 10)}: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.platform}; execution provider **${r.provider}**; pack \`${r.pack}\`.`,
    `Photo ${r.image.width}x${r.image.height} (\`${r.image.path.split('/').slice(-3).join('/')}\`), centred square mask of ${r.image.mask_pixels} pixels (one crop at the pack's trained grid). Medians of ${r.repeats} runs each; all figures below come from this one run (bench/results.json). Load average (1 min) ${r.load_avg.before.toFixed(2)} before, ${r.load_avg.after.toFixed(2)} after: on these 2 cores anything above ~0.3 means another job shared them.`,
    '',
    'The method rows run the raw methods (refinement stages off), the comparison the paper makes; the full-pipeline section adds the stages.',
    '',
    '## Headline',
    '',
    '| measure | value |',
    '| --- | ---: |',
    `| image decode (JPEG) | ${ms(r.image_decode_ms)} ms |`,
    `| VQ-DDM at the default ${r.vqddm_default_steps} steps | ${ms(r.vqddm_default_ms)} ms |`,
    `| transformer with KV cache | ${ms(r.transformer_cached_ms)} ms |`,
    `| transformer without cache (taming's way) | ${ms(r.transformer_uncached_ms)} ms |`,
    `| VQ-DDM default / cached transformer | ${r.vqddm_default_vs_cached.toFixed(2)}x |`,
    `| uncached transformer / VQ-DDM default | ${r.uncached_over_vqddm_default.toFixed(2)}x |`,
    `| 4 samples / 1 sample (batched) | ${r.samples4_over_samples1.toFixed(2)}x |`,
    `| 8 samples / 1 sample (batched) | ${r.samples8_over_samples1.toFixed(2)}x |`,
    `| engine overhead (time outside session.run) at the default | ${(r.overhead_fraction * 100).toFixed(1)}% |`,
    '',
    '## Per run and stage (median ms)',
    '',
    ...table(r.rows),
    '',
    `## Full pipeline on a ${r.full_pipeline.width}x${r.full_pipeline.height} photo, centred ${Math.round((100 * r.full_pipeline.mask_pixels) / (r.full_pipeline.width * r.full_pipeline.height))} % box`,
    '',
    'The bench photo resized to one megapixel; each refinement stage added in turn (guided decoder, colour anchoring, photo texture).',
    '',
    ...table(r.full_pipeline.rows),
    '',
    '## Batching',
    '',
    ...table(r.samples),
    '',
    '## Masked-region quality against steps (cf. the paper\'s Fig. 5)',
    '',
    `PSNR of the filled region against the original photo: median over five mask positions x ${r.repeats} seeds; time per fill at the centre mask. The cached transformer on the same masks and seeds: **${r.transformer_psnr_db.toFixed(2)} dB** in ${ms(r.transformer_cached_ms)} ms.`,
    '',
    '| steps | PSNR dB | median ms | |',
    '| ---: | ---: | ---: | --- |',
    ...r.quality.map((q) => `| ${q.steps} | ${q.psnr_db.toFixed(2)} | ${ms(q.median_ms)} | \`${bar(q.psnr_db)}\` |`),
    '',
    `The fewest steps within 0.25 dB of the best PSNR on this curve: **${r.vqddm_recommended_steps}**; the pack's default (manifest \`diffusion.default_steps\`): **${r.vqddm_default_steps}**. One photo's curve moves by a dB or more between seeds; the default is chosen from the test-set curve of the pack's own evaluation (\`models/${r.pack}/REPORT.md\`, 44 fills per step count).`,
    '',
  ].join('\n');
}
