/**
 * An item's comparison sheet (`--sheets`, `<stem>.compare.jpg`): the photo and its mask as the run read
 * them, then every result of each of the batch's methods as written, labelled from the record (fill time,
 * seed, stages). Made from the files and the record, not from the fills in memory, so a sheet made on a
 * rerun from an earlier run's fills is the one that run would have made. A JPEG with the photo's RGB
 * profile attached, like the results (the tiles are in the photo's own colour space), and without the
 * photo's EXIF: a sheet is not the photo.
 */
import sharp from 'sharp';
import { ApiError, type FillSettings, type FillStage, type MaskImage } from '../../shared/contract.js';
import { inputLabels, resultLabel } from '../../shared/sheet.js';
import { maskTile, pixelsTile, renderSheet, type SheetTile } from '../../engine/io/compareSheet.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { sampleSeeds } from '../../engine/pipeline.js';
import { encodeResult, type SourceMeta } from './encode.js';
import { readInput } from './inspect.js';
import { absolute } from './output.js';
import { unitKey, type RecordLine } from './record.js';
import type { ItemPlan } from './select.js';

/** The sheet's JPEG quality (labels stay crisp; it is a view, not a result). */
export const SHEET_QUALITY = 92;

export interface SheetContext {
  out: string;
  /** The batch's settings: its methods, in order, are the sheet's. */
  settings: FillSettings;
  /** Each unit's latest record line (the item's fills are done before its sheet). */
  state: Map<string, RecordLine>;
  /** Written into the file's EXIF UserComment, as the results' settings are. */
  trace: Record<string, unknown>;
}

export async function itemSheet(ctx: SheetContext, work: ItemPlan, input: { image: Pixels; mask: MaskImage; source: SourceMeta }): Promise<Buffer> {
  const { width, height } = input.image;
  const [original, mask] = inputLabels(width, height);
  const tiles: SheetTile[] = [{ label: original, image: pixelsTile(input.image) }, { label: mask, image: maskTile(input.mask) }];
  for (const method of ctx.settings.methods) {
    const line = ctx.state.get(unitKey(work.item.key, method));
    if (line?.status !== 'done') throw new ApiError('BAD_REQUEST', `no comparison sheet: the ${method} fill ${line?.status === 'failed' ? 'failed' : 'is not done'}`);
    const seeds = sampleSeeds(line.seed, line.outputs.length);
    for (const [k, rel] of line.outputs.entries()) {
      const bytes = await readInput(absolute(ctx.out, rel), 'result');
      const label = resultLabel(
        { method, settings: { ...ctx.settings, seed: seeds[k] }, stages: line.stages as FillStage[] | undefined, totalMs: line.ms?.fill ?? 0 },
        { k: k + 1, n: line.outputs.length },
      );
      // ignoreIcc: the stored values, in the photo's own colour space like the original's tile.
      tiles.push({ label, image: sharp(bytes, { ignoreIcc: true, autoOrient: true, limitInputPixels: false }) });
    }
  }
  const pixels = await renderSheet(width, height, tiles);
  return encodeResult(pixels, { format: 'jpeg', quality: SHEET_QUALITY, keepAlpha: false, source: { ...input.source, exif: null }, trace: JSON.stringify(ctx.trace) });
}
