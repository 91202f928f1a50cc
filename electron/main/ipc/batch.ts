/**
 * The Batch view's host operations: the folder dialog (the page asks, main shows the system's dialog and
 * answers with the chosen path, or null) and showing an output folder in the file manager. Requests are
 * checked here (they come from the page); only a folder is ever opened, never a file (which the system
 * would run or open with its application).
 */
import { dialog, shell, type BrowserWindow, type OpenDialogOptions } from 'electron';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ApiError } from '../../shared/contract.js';
import { HOST_CHANNELS, type BatchPathRequest } from '../../shared/host.js';
import { handle } from './result.js';

const IMAGE_FILTER = { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'gif', 'avif'] };

function checked(request: unknown): BatchPathRequest {
  const r = request as Partial<BatchPathRequest> | null;
  if (typeof r?.title !== 'string' || r.title.length > 200 || (r.kind !== 'folder' && r.kind !== 'file')) {
    throw new ApiError('BAD_REQUEST', 'chooseBatchPath takes {title: a string of at most 200 characters, kind: "folder" or "file"}');
  }
  return { title: r.title, kind: r.kind };
}

export function registerBatchIpc(rendererUrl: string, window: () => BrowserWindow | null): void {
  handle(HOST_CHANNELS.chooseBatchPath, rendererUrl, async (request: unknown): Promise<string | null> => {
    const { title, kind } = checked(request);
    const opts: OpenDialogOptions =
      kind === 'file' ? { title, properties: ['openFile'], filters: [IMAGE_FILTER] } : { title, properties: ['openDirectory', 'createDirectory'] };
    const w = window();
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
    return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
  });
  handle(HOST_CHANNELS.openBatchFolder, rendererUrl, async (path: unknown): Promise<boolean> => {
    if (typeof path !== 'string' || !isAbsolute(path) || path.length > 4096) throw new ApiError('BAD_REQUEST', 'openBatchFolder takes the absolute path of a folder');
    const st = await stat(path).catch(() => null);
    if (!st?.isDirectory()) throw new ApiError('IO_ERROR', `${path} is not a folder`);
    const problem = await shell.openPath(path);
    if (problem) throw new ApiError('IO_ERROR', `Cannot show ${path}: ${problem}`);
    return true;
  });
}
