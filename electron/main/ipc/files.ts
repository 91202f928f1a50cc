/**
 * IPC for files and dialogs. The page names files only through dialogs and the recent list: it can read a
 * path only if that path is in the recent list, and write over a path only if it opened or saved it. Save
 * over a photo as it was opened (the person's original) asks first, once, and keeps the previous file as a
 * backup until the new one is written whole.
 */
import { app, dialog, type BrowserWindow } from 'electron';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { HOST_CHANNELS, type OpenedFile, type RecentEntry, type SaveResult } from '../../shared/host.js';
import { ApiError } from '../../shared/contract.js';
import { removeStaleTemporaries, replaceKeepingBackup, writeFileAtomically } from '../../engine/io/atomicWrite.js';
import type { RecentFiles } from '../recent.js';
import { handle } from './result.js';

const IMAGE_FILTER = { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'gif', 'avif'] };
/** Project files (renderer/lib/project.ts PROJECT_EXT): the page tells them from photos by their bytes. */
const PROJECT_FILTER = { name: 'VQ-DDM Studio projects', extensions: ['vqddm'] };
/** Open lists photos and projects together first (the dialog's default), then each kind alone. */
const OPEN_FILTERS = [{ name: 'Images and projects', extensions: [...IMAGE_FILTER.extensions, ...PROJECT_FILTER.extensions] }, IMAGE_FILTER, PROJECT_FILTER];

/**
 * `allowPack`: tells the engine process a pack folder came from the dialog (it loads no other, besides the
 * shipped packs); resolves once the engine process has it, so the page's loadPack that follows is allowed.
 */
export function registerFilesIpc(recent: RecentFiles, rendererUrl: string, window: () => BrowserWindow | null, allowPack: (dir: string) => Promise<void>): void {
  const writable = new Set<string>();
  /** Opened and not yet saved over in this session: Save asks before replacing these. */
  const originals = new Set<string>();

  const read = async (path: string): Promise<OpenedFile> => {
    try {
      const bytes = new Uint8Array(await readFile(path));
      writable.add(path);
      originals.add(path);
      await recent.add(path);
      app.addRecentDocument(path);
      return { name: basename(path), path, bytes };
    } catch (e) {
      throw new ApiError('IO_ERROR', `Cannot read ${path}: ${(e as Error).message}`);
    }
  };

  const confirmReplace = async (path: string): Promise<boolean> => {
    const opts = {
      type: 'warning' as const,
      buttons: ['Replace', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: `Replace the original ${basename(path)}?`,
      detail: 'The photo you opened is replaced by the edited one. The original is kept as a backup beside it until the new file is written whole. Use Save As to keep both.',
    };
    const w = window();
    const r = w ? await dialog.showMessageBox(w, opts) : await dialog.showMessageBox(opts);
    return r.response === 0;
  };

  handle(HOST_CHANNELS.openImage, rendererUrl, async (): Promise<OpenedFile | null> => {
    const w = window();
    const opts = { properties: ['openFile' as const], filters: OPEN_FILTERS };
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
    return r.canceled || !r.filePaths[0] ? null : read(r.filePaths[0]);
  });
  handle(HOST_CHANNELS.listRecent, rendererUrl, async (): Promise<RecentEntry[]> => recent.list().map((p) => ({ id: p, name: basename(p) })));
  handle(HOST_CHANNELS.openRecent, rendererUrl, async (id): Promise<OpenedFile> => {
    if (!recent.list().includes(id)) throw new ApiError('IO_ERROR', 'not a recent file');
    return read(id);
  });
  // Files opened by dialog are added in `read`; drops and pastes have no path to remember.
  handle(HOST_CHANNELS.addRecent, rendererUrl, async (): Promise<void> => undefined);
  handle(HOST_CHANNELS.save, rendererUrl, async (req): Promise<SaveResult | null> => {
    let path = req.path && writable.has(req.path) ? req.path : undefined;
    const original = !!path && originals.has(path);
    if (original && !(await confirmReplace(path!))) return null;
    if (!path) {
      const w = window();
      const opts = { defaultPath: req.suggestedName, filters: [req.filter] };
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
      if (r.canceled || !r.filePath) return null;
      path = r.filePath;
    }
    try {
      // Never a half-written file over the person's original: temporary sibling, flush, rename (and the
      // temporaries a killed earlier Save of this file left go first).
      await removeStaleTemporaries(path);
      if (original) await replaceKeepingBackup(path, req.bytes);
      else await writeFileAtomically(path, req.bytes);
    } catch (e) {
      throw new ApiError('IO_ERROR', `Cannot write ${path}: ${(e as Error).message}${original ? ' (the original is unchanged)' : ''}`);
    }
    writable.add(path);
    originals.delete(path);
    return { name: basename(path), path };
  });
  handle(HOST_CHANNELS.choosePack, rendererUrl, async (): Promise<string | null> => {
    const w = window();
    const opts = { title: 'Choose a model pack folder', properties: ['openDirectory' as const] };
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
    if (r.canceled || !r.filePaths[0]) return null;
    await allowPack(r.filePaths[0]);
    return r.filePaths[0];
  });
}
