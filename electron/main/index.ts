/**
 * Electron main: app lifecycle, the window, the menu, and IPC by domain. The engine runs in a utility
 * process (engineBridge) so a fill never blocks this process or the window.
 */
import { app, Menu, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineBridge } from './engineBridge.js';
import { registerEngineIpc } from './ipc/engine.js';
import { registerFilesIpc } from './ipc/files.js';
import { buildMenu } from './menu.js';
import { RecentFiles } from './recent.js';
import { createWindow, denyPermissions } from './window.js';

// out/main/index.cjs: siblings are out/preload and out/renderer.
const outDir = join(__dirname, '..');
const rendererFile = join(outDir, 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererFile).href;

function engineArgs(): string[] {
  const i = process.argv.indexOf('--pack');
  if (i >= 0 && process.argv[i + 1]) return ['--pack', process.argv[i + 1]!];
  return app.isPackaged ? ['--resources', process.resourcesPath] : [];
}

let win: BrowserWindow | null = null;
const current = () => win;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  void app.whenReady().then(() => {
    denyPermissions();
    const engine = new EngineBridge(join(__dirname, 'engine-host.mjs'), engineArgs());
    engine.warm();
    registerEngineIpc(engine, rendererUrl, current);
    const recent = new RecentFiles(join(app.getPath('userData'), 'recent.json'));
    registerFilesIpc(recent, rendererUrl, current);
    const setMenu = () => Menu.setApplicationMenu(buildMenu(current, !app.isPackaged, recent.list()));
    recent.onChange = setMenu;
    setMenu();
    win = createWindow(join(outDir, 'preload', 'index.cjs'), rendererFile);
    win.on('closed', () => (win = null));
    app.on('activate', () => {
      if (!win) {
        win = createWindow(join(outDir, 'preload', 'index.cjs'), rendererFile);
        win.on('closed', () => (win = null));
      }
    });
    app.on('will-quit', () => engine.dispose());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
