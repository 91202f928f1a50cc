/** docs/BENCHMARKS.md from one bench run's results: every figure in it comes from that run. */
import type { AppFirstFill } from './appFirstFill.js';
import type { Method } from '../../shared/contract.js';
import type { FillFloor, GraphFigure } from './floors.js';
import type { MethodOrderRow } from './methodOrder.js';
import type { SessionOptionRow } from './sessionOptions.js';
import { strokeMarkdown, type StrokeBench } from './strokes.js';

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
  /** Median ms per session.run of each graph the fill ran. */
  graph_ms_per_call: Record<string, number>;
  /** Share of the machine's CPU other processes used while the row ran (null: unknown here). */
  foreign_cpu: number | null;
  /** 1-minute load average before and after the row. */
  load_avg: [number, number];
  /** How often the row was measured (again when the machine was busy). */
  attempts: number;
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
  provider_notes: string[];
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
  method_order: MethodOrderRow[];
  peak_gflops: number;
  graphs: Record<string, GraphFigure>;
  fills: FillFloor[];
  vqddm_g32_ms: number | null;
  transformer_g32_ms: number | null;
  transformer_g32_over_vqddm_g32: number | null;
  session_options: SessionOptionRow[];
  cold_start_ms: number;
  cold_start_first_ms: number;
  cold_start_case: { width: number; height: number; mask_side: number; runs: number };
  app_first_fill_ms: number;
  app_first_fill: AppFirstFill;
  editor_strokes: StrokeBench;
  load_avg: { before: number; after: number };
}

const ms = (v: number) => v.toFixed(1);
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
/** Other processes' share of the CPU while a row ran, and how often it was measured. */
const busy = (x: Row) => `${x.foreign_cpu === null ? 'n/a' : pct(x.foreign_cpu)}${x.attempts > 1 ? ` (${x.attempts} tries)` : ''}`;

export function benchMarkdown(r: Results, command: string): string {
  const table = (rows: Row[]) => [
    '| run | median ms | model calls | encode | sampling | decode | composite | anchor | texture | overhead | other CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((x) => `| ${x.label} | ${ms(x.median_ms)} | ${x.model_calls} | ${ms(x.encode_ms)} | ${ms(x.sample_ms)} | ${ms(x.vq_decode_ms)} | ${ms(x.composite_ms)} | ${ms(x.anchor_ms)} | ${ms(x.texture_ms)} | ${(x.overhead_fraction * 100).toFixed(1)}% | ${busy(x)} |`),
  ];
  const best = Math.max(...r.quality.map((q) => q.psnr_db));
  const bar = (v: number) => '#'.repeat(Math.max(1, Math.round((v / best) * 40)));
  return [
    '# Benchmarks',
    '',
    `Measured by \`${command}\` on ${r.date.slice(0, 10)}: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.platform}; execution provider **${r.provider}**${r.provider_notes.length ? ` (not in use: ${r.provider_notes.join('; ')})` : ''}; pack \`${r.pack}\`.`,
    `Photo ${r.image.width}x${r.image.height} (\`${r.image.path.split('/').slice(-3).join('/')}\`), centred square mask of ${r.image.mask_pixels} pixels (one crop at the pack's trained grid). Medians of ${r.repeats} runs each; all figures below come from this one run (bench/results.json). Load average (1 min) ${r.load_avg.before.toFixed(2)} before, ${r.load_avg.after.toFixed(2)} after. Each row records the share of the CPU other processes used while it ran (\`other CPU\`, from /proc/stat); a row measured while they used more than 10 % is measured again, at most three times, and the quietest attempt kept.`,
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
    ...(r.vqddm_g32_ms !== null && r.transformer_g32_ms !== null
      ? [`| VQ-DDM default on a grid-32 hole | ${ms(r.vqddm_g32_ms)} ms |`, `| transformer (KV cache) on that hole | ${ms(r.transformer_g32_ms)} ms |`, `| transformer / VQ-DDM on grid 32 | ${r.transformer_g32_over_vqddm_g32!.toFixed(2)}x |`]
      : []),
    `| \`vqddm inpaint\`, cold process to written file (${r.cold_start_case.width}x${r.cold_start_case.height}, ${r.cold_start_case.mask_side} px box, every stage) | ${ms(r.cold_start_ms)} ms (first start ever: ${ms(r.cold_start_first_ms)} ms) |`,
    `| the app's first fill, asked for the moment its engine is ready (same case, the app's defaults: ${Object.keys(r.app_first_fill.method_ms).join(' and ')}, every stage) | ${ms(r.app_first_fill_ms)} ms (${Object.entries(r.app_first_fill.method_ms).map(([m, v]) => `${m} ${ms(v!)}`).join(', ')}) |`,
    `| the app started to that fill's last result (engine ready in ${ms(r.app_first_fill.ready_ms)} ms) | ${ms(r.app_first_fill.start_to_result_ms)} ms (first start ever: ${ms(r.app_first_fill.first_start_to_result_ms)} ms) |`,
    '',
    '## Against the FLOP floor',
    '',
    `FLOPs counted from onnxruntime's profile of one run of each fill (convolutions, matrix products and Einsums as onnxruntime ran them; element-wise work left out), over the MatMul peak measured in this run: **${r.peak_gflops.toFixed(0)} GFLOP/s** (1024x1024 float MatMul, the engine's session options). The floor is the time a fill's FLOPs take at that peak.`,
    '',
    '| fill | GFLOP | floor ms | measured ms | x floor |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.fills.map((f) => `| ${f.label} | ${f.gflop.toFixed(2)} | ${ms(f.floor_ms)} | ${ms(f.measured_ms)} | ${f.over_floor.toFixed(1)}x |`),
    '',
    '| graph | MFLOP per call | ms per call | share of peak |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(r.graphs).map(([name, g]) => `| ${name} | ${g.mflop.toFixed(1)} | ${g.ms.toFixed(2)} | ${pct(g.efficiency)} |`),
    '',
    ...(r.session_options.length
      ? [
          '## Session options',
          '',
          'The engine\'s onnxruntime session options against the alternatives tried, each on a fresh engine: the default VQ-DDM fill and the cached transformer fill on the centre mask (stages off), median ms.',
          '',
          '| session options | VQ-DDM ms | transformer ms |',
          '| --- | ---: | ---: |',
          ...r.session_options.map((o) => `| ${o.label} | ${ms(o.vqddm_ms)} | ${ms(o.transformer_ms)} |`),
          '',
        ]
      : []),
    ...strokeMarkdown(r.editor_strokes),
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
    ...methodOrderSection(r.method_order),
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

/** The two methods one after the other against together (as the app runs them), and what that says. */
function methodOrderSection(rows: MethodOrderRow[]): string[] {
  const [serial, together] = rows;
  const verdict =
    `Together, the transformer's model stages run while VQ-DDM's refinement runs on a worker thread, the two refinements on two, and colour anchoring's interpolation of the border is computed once for both: ` +
    `both results ${ms(together.both_ms)} ms against ${ms(serial.both_ms)} one after the other (${(serial.both_ms / together.both_ms).toFixed(2)}x), ` +
    `the first ${ms(together.first_ms)} against ${ms(serial.first_ms)}.`;
  return [
    '## The two methods: one after the other or together',
    '',
    "The full-pipeline case above with the app's defaults (both methods, every stage), on one engine: each method's result, the first and both, from the start (median ms).",
    '',
    '| order | VQ-DDM result | transformer result | first result | both |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((x) => `| ${x.label} | ${ms(x.vqddm_ms)} | ${ms(x.transformer_ms)} | ${ms(x.first_ms)} | ${ms(x.both_ms)} |`),
    '',
    verdict,
    '',
  ];
}
