/**
 * How the batch names its outputs: `<stem><suffix>.<task>[-<k>].<ext>`, where the task is a method, "mask"
 * (`--masks-out`, `.mask.png`) or "compare" (`--sheets`, `.compare.jpg`) and the suffix is empty unless the
 * results go beside the photos (`--in-place-suffix`). Pairing uses the same rule the other way round:
 * beside the photos, a file named like an output is not read as a photo or a mask, so a rerun never
 * takes the results for new inputs.
 */
import { METHODS } from '../../shared/settings.js';

/** The name part of each task's outputs that is not the method's own name. */
export const MASK_NAME = 'mask';
export const SHEET_NAME = 'compare';

/** `<stem><suffix>.<name>[-<k>].<ext>`; k only when the task writes several files. */
export function outputName(stem: string, suffix: string, name: string, ext: string, k?: number): string {
  return `${stem}${suffix}.${name}${k === undefined ? '' : `-${k}`}.${ext}`;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A test for file names the batch would write with `suffix`; case-blind, as a case-blind disk takes
 * IMG_FILLED.VQDDM.JPG for img_filled.vqddm.jpg.
 */
export function outputNameTest(suffix: string): (fileName: string) => boolean {
  const names = [...METHODS, MASK_NAME, SHEET_NAME].map(escapeRegExp).join('|');
  const re = new RegExp(`^.+${escapeRegExp(suffix)}\\.(${names})(-\\d+)?\\.[^.]+$`, 'i');
  return (fileName) => re.test(fileName);
}
