/** The editor window, locked down: isolated, sandboxed, no Node, no navigation, no new windows. */
import { BrowserWindow, dialog, session, shell } from 'electron';
import { externalAllowed } from './links.js';

export const SECURE_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;

/** `rendererUrl`: the page's app:// address (protocol.ts). */
export function createWindow(preload: string, rendererUrl: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'VQ-DDM Studio',
    backgroundColor: '#1e1f22',
    show: false,
    webPreferences: { ...SECURE_PREFERENCES, preload },
  });
  const wc = win.webContents;
  wc.on('will-navigate', (e) => e.preventDefault());
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    // Links to the allowed sites open in the system browser (links.ts); nothing opens inside the app.
    if (externalAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The page asks before closing with unsaved work (beforeunload); the question is asked here.
  wc.on('will-prevent-unload', (e) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Discard changes', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'Close without saving?',
      detail: 'The image has changes that are not saved.',
    });
    if (choice === 0) e.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(rendererUrl);
  return win;
}

/** No permission (camera, notifications, geolocation…) is ever granted to the page. */
export function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}
