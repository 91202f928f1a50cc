/**
 * The Batch view's folder dialog (a host operation): the page asks, main shows the system's dialog and
 * answers with the chosen path, or null. The request is checked here (it comes from the page).
 */
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';
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
}
