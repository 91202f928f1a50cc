/**
 * A results-history entry as the project file (project.ts) and the recovery copy (recoveryEntries.ts) keep
 * it; ids are given again when it is opened.
 */
import type { MethodResult, RgbaImage } from '../../electron/shared/contract';
import type { MaskedPatch } from './images';

export interface SavedEntry {
  fill: number;
  sample: number;
  samples: number;
  result: Omit<MethodResult, 'samples'>;
  madeAt: number;
  patches: readonly MaskedPatch[] | null;
  thumb: RgbaImage;
}
