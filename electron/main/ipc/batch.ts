/**
 * The Batch view's host operations: the folder dialog (the page asks, main shows the system's dialog and
 * answers with the chosen path, or null) and showing an output folder in the file manager. Arguments are
 * checked against the channels' schemas (schemas.ts) before these run; only a folder is ever opened, never
 * a file (which the system would run or open with its application).
 */
import { dialog, shell, type BrowserWindow, type OpenDialogOptions } from 'electron';
import { stat } from 'node:fs/promises';
import { ApiError } from '../../shared/contract.js';
import { HOST_CHANNELS } from '../../shared/host.js';
import { handle } from './result.js';

const IMAGE_FILTER = { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'gif', 'avif'] };

export function registerBatchIpc(rendererUrl: string, window: () => BrowserWindow | null): void {
  handle(HOST_CHANNELS.chooseBatchPath, rendererUrl, async ({ title, kind }): Promise<string | null> => {
    const opts: OpenDialogOptions =
      kind === 'file' ? { title, properties: ['openFile'], filters: [IMAGE_FILTER] } : { title, properties: ['openDirectory', 'createDirectory'] };
    const w = window();
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
    return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
  });
  handle(HOST_CHANNELS.openBatchFolder, rendererUrl, async (path): Promise<boolean> => {
    const st = await stat(path).catch(() => null);
    if (!st?.isDirectory()) throw new ApiError('IO_ERROR', `${path} is not a folder`);
    const problem = await shell.openPath(path);
    if (problem) throw new ApiError('IO_ERROR', `Cannot show ${path}: ${problem}`);
    return true;
  });
}
