/**
 * Electron main: app lifecycle, the window, the menu, and the host's IPC (files, dialogs). The engine runs
 * in a utility process that each page reaches over its own MessagePort (engineProcess), so a fill never
 * blocks or passes through this process.
 */
import { app, Menu, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineProcess } from './engineProcess.js';
import { registerBatchIpc } from './ipc/batch.js';
import { registerFilesIpc } from './ipc/files.js';
import { buildMenu } from './menu.js';
import { registerAppScheme, RENDERER_URL, serveRenderer } from './protocol.js';
import { RecentFiles } from './recent.js';
import { createWindow, denyPermissions } from './window.js';

// out/main/index.cjs: siblings are out/preload and out/renderer; the page is served as app://bundle/.
const outDir = join(__dirname, '..');
const rendererDir = join(outDir, 'renderer');
const rendererUrl = RENDERER_URL;

/** `--pack DIR` on the app's command line chooses the pack; a packaged app looks in its resources. */
function engineArgs(): string[] {
  const { values } = parseArgs({ args: process.argv.slice(1), options: { pack: { type: 'string' } }, strict: false, allowPositionals: true });
  if (typeof values.pack === 'string' && values.pack) return ['--pack', values.pack];
  return app.isPackaged ? ['--resources', process.resourcesPath] : [];
}

let win: BrowserWindow | null = null;
const current = () => win;

// Before ready: the renderer's scheme must be privileged from the start.
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  void app.whenReady().then(() => {
    denyPermissions();
    serveRenderer(rendererDir);
    const engine = new EngineProcess(join(__dirname, 'engine-process.mjs'), engineArgs());
    engine.warm();
    // Each load of the page (a reload too) gets a fresh channel; the old page's jobs are canceled.
    const open = () => {
      const w = createWindow(join(outDir, 'preload', 'index.cjs'), rendererUrl);
      w.webContents.on('did-finish-load', () => engine.connect(w.webContents));
      w.on('closed', () => (win = null));
      return w;
    };
    const recent = new RecentFiles(join(app.getPath('userData'), 'recent.json'));
    // A folder chosen in the pack dialog is vouched for to the engine process before the page learns it.
    registerFilesIpc(recent, rendererUrl, current, (dir) => engine.allowPack(dir));
    registerBatchIpc(rendererUrl, current);
    const setMenu = () => Menu.setApplicationMenu(buildMenu(current, !app.isPackaged, recent.list()));
    recent.onChange = setMenu;
    setMenu();
    win = open();
    app.on('activate', () => {
      if (!win) win = open();
    });
    app.on('will-quit', () => engine.dispose());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
