/**
 * What a batch came to, from its record: the summary (counts, per-method mean times and, with
 * --reference, mean scores side by side) and the flat CSV table (`--report csv`).
 */
import type { RecordLine } from './record.js';

export interface MethodSummary {
  items: number;
  /** Mean fill time (the engine's total for the method), ms. */
  mean_ms: number | null;
  /** Mean time per unit including encoding and writing, ms. */
  mean_total_ms: number | null;
  psnr_db?: number | null;
  ssim?: number | null;
  seam?: number | null;
  /** The originals' own seam at the same place, for comparison. */
  seam_reference?: number | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Per method, over its done units among `lines` (each unit's latest line). */
export function methodSummaries(lines: RecordLine[], methods: string[], withMetrics: boolean): Record<string, MethodSummary> {
  const out: Record<string, MethodSummary> = {};
  for (const m of methods) {
    const done = lines.filter((l) => l.method === m && l.status === 'done');
    const scored = done.map((l) => l.metrics).filter((x): x is { psnr_db: number; ssim: number; seam: number; seam_reference: number } => !!x && 'psnr_db' in x);
    out[m] = {
      items: done.length,
      mean_ms: mean(done.map((l) => l.ms?.fill).filter((x): x is number => typeof x === 'number')),
      mean_total_ms: mean(done.map((l) => l.ms?.total).filter((x): x is number => typeof x === 'number')),
    };
    if (withMetrics) {
      // PSNR of an exact fill is Infinity (JSON null): such items are left out of the mean.
      out[m].psnr_db = mean(scored.map((s) => s.psnr_db).filter((x) => typeof x === 'number' && Number.isFinite(x)));
      out[m].ssim = mean(scored.map((s) => s.ssim));
      out[m].seam = mean(scored.map((s) => s.seam));
      out[m].seam_reference = mean(scored.map((s) => s.seam_reference));
    }
  }
  return out;
}

const CSV_COLUMNS = [
  'item', 'method', 'status', 'seed', 'input', 'input_sha256', 'mask', 'rule', 'outputs',
  'decode_ms', 'fill_ms', 'encode_ms', 'write_ms', 'total_ms', 'psnr_db', 'ssim', 'seam', 'seam_reference', 'note', 'error', 'time', 'shard',
] as const;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per unit (an item's method, or its mask export), its latest state; RFC 4180 quoting. */
export function csvReport(lines: RecordLine[]): string {
  const rows = lines.map((l) => {
    const m = l.metrics && 'psnr_db' in l.metrics ? l.metrics : null;
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      item: l.item, method: l.method, status: l.status, seed: l.seed, input: l.input, input_sha256: l.input_sha256, mask: l.mask, rule: l.rule,
      outputs: l.outputs.join(';'), decode_ms: l.ms?.decode, fill_ms: l.ms?.fill, encode_ms: l.ms?.encode, write_ms: l.ms?.write, total_ms: l.ms?.total,
      psnr_db: m?.psnr_db, ssim: m?.ssim, seam: m?.seam, seam_reference: m?.seam_reference,
      note: l.note ?? (l.metrics && 'error' in l.metrics ? `metrics: ${l.metrics.error}` : undefined), error: l.error?.message, time: l.t, shard: l.shard,
    };
    return CSV_COLUMNS.map((c) => cell(row[c])).join(',');
  });
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
