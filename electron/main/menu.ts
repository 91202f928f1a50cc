/** The application menu. Shortcuts are handled by the page, so items show them without registering. */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { basename } from 'node:path';
import { HOST_CHANNELS, type MenuCommand } from '../shared/host.js';

export function buildMenu(window: () => BrowserWindow | null, isDev: boolean, recent: string[] = []): Menu {
  const cmd = (label: string, command: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    accelerator,
    registerAccelerator: false,
    click: () => window()?.webContents.send(HOST_CHANNELS.menuCommand, command),
  });
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        cmd('Open…', 'open', 'CmdOrCtrl+O'),
        {
          label: 'Open Recent',
          enabled: recent.length > 0,
          submenu: recent.map((path) => ({
            label: basename(path),
            toolTip: path,
            click: () => window()?.webContents.send(HOST_CHANNELS.menuCommand, 'openRecent', path),
          })),
        },
        { type: 'separator' },
        cmd('Save', 'save', 'CmdOrCtrl+S'),
        cmd('Save As…', 'saveAs', 'CmdOrCtrl+Shift+S'),
        cmd('Export Mask…', 'exportMask'),
        cmd('Export Comparison Sheet…', 'exportSheet'),
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [cmd('Undo', 'undo', 'CmdOrCtrl+Z'), cmd('Redo', 'redo', 'CmdOrCtrl+Shift+Z'), { type: 'separator' }, cmd('Fill', 'fill', 'CmdOrCtrl+Enter')],
    },
    {
      label: 'View',
      submenu: [cmd('Fit', 'fit'), cmd('Actual Size', 'actualSize'), ...(isDev ? [{ role: 'toggleDevTools' } as const] : [])],
    },
  ];
  return Menu.buildFromTemplate(template);
}
