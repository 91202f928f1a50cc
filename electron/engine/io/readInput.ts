/**
 * Input files read whole, but only regular files up to MAX_INPUT_BYTES: a 100 MP photo (the engine's pixel
 * limit) stored losslessly at 16 bits with alpha is 800 MB; anything larger, or anything that is not a
 * regular file (/dev/zero, a FIFO), is refused before reading, so a wrong path cannot exhaust memory.
 * Used by `vqddm inpaint` and `vqddm batch`.
 */
import { readFile, stat } from 'node:fs/promises';
import { ApiError } from '../../shared/contract.js';

export const MAX_INPUT_BYTES = 1024 * 1024 * 1024;

const why = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** The bytes of `path`; `what` names it in errors ("image", "mask", "photo"). */
export async function readInput(path: string, what: string): Promise<Buffer> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ApiError('BAD_IMAGE', `the ${what} ${path} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('IO_ERROR', `cannot read ${what} ${path} (${why(err)})`);
  }
  if (size > MAX_INPUT_BYTES) throw new ApiError('IMAGE_TOO_LARGE', `the ${what} ${path} is ${(size / 2 ** 30).toFixed(1)} GiB, above the 1 GiB limit`);
  try {
    return await readFile(path);
  } catch (err) {
    throw new ApiError('IO_ERROR', `cannot read ${what} ${path} (${why(err)})`);
  }
}
