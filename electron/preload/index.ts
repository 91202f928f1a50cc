/**
 * The preload bridge: `window.api`, one function per host operation, typed by the contract, and the hand-
 * over of the engine's MessagePort (the page then talks to the engine process directly; main relays no
 * fills). Sandboxed preloads cannot load relative files, so this is bundled to one CommonJS file. Raw
 * ipcRenderer is never exposed. Every call resolves to its `{ok, value | error}` result (contextBridge
 * would keep only an Error's message); the page rebuilds typed errors with `hostFromBridge`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ENGINE_PORT_CHANNEL, ENGINE_PORT_TAG } from '../shared/contract.js';
import { HOST_CHANNELS, type BridgeApi, type IpcResult, type MenuCommand } from '../shared/host.js';

function invoke<T>(channel: string, ...args: unknown[]): Promise<IpcResult<T>> {
  return ipcRenderer.invoke(channel, ...args) as Promise<IpcResult<T>>;
}

// The newest engine port from main, held until the page asks for it (a message posted before the page's
// listener exists would be lost); after the first request each new port (an engine restart) goes at once.
let port: Electron.IpcRendererEvent['ports'][number] | null = null;
// The preload runs in the page's renderer (in an isolated world) and shares its window.
declare const window: { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };
let wanted = false;
const handOver = () => {
  if (!wanted || !port) return;
  window.postMessage(ENGINE_PORT_TAG, '*', [port]);
  port = null;
};
ipcRenderer.on(ENGINE_PORT_CHANNEL, (e) => {
  port = e.ports[0] ?? null;
  handOver();
});

const api: BridgeApi = {
  requestEnginePort: () => {
    wanted = true;
    handOver();
  },
  host: {
    kind: 'electron',
    openImageDialog: () => invoke(HOST_CHANNELS.openImage),
    listRecent: () => invoke(HOST_CHANNELS.listRecent),
    openRecent: (id) => invoke(HOST_CHANNELS.openRecent, id),
    addRecent: (file) => invoke(HOST_CHANNELS.addRecent, { name: file.name, path: file.path }),
    saveFile: (request) => invoke(HOST_CHANNELS.save, request),
    choosePackFolder: () => invoke(HOST_CHANNELS.choosePack),
    chooseBatchPath: (request) => invoke(HOST_CHANNELS.chooseBatchPath, { title: request.title, kind: request.kind }),
    openBatchFolder: (path) => invoke(HOST_CHANNELS.openBatchFolder, path),
    onMenuCommand: (listener) => {
      const wrapped = (_e: unknown, command: MenuCommand, arg?: string) => listener(command, arg);
      ipcRenderer.on(HOST_CHANNELS.menuCommand, wrapped);
      return () => ipcRenderer.removeListener(HOST_CHANNELS.menuCommand, wrapped);
    },
  },
};

contextBridge.exposeInMainWorld('api', api);
