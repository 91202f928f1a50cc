/**
 * The preload bridge: `window.api`, one function per operation, typed by the contract. Sandboxed
 * preloads cannot load relative files, so this is bundled to one CommonJS file. Raw ipcRenderer is never
 * exposed. Every call resolves to its `{ok, value | error}` result (contextBridge would keep only an
 * Error's message); the page rebuilds typed errors with `fromBridge`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, type JobEvent } from '../shared/contract.js';
import { HOST_CHANNELS, type BridgeApi, type IpcResult, type MenuCommand } from '../shared/host.js';

function invoke<T>(channel: string, ...args: unknown[]): Promise<IpcResult<T>> {
  return ipcRenderer.invoke(channel, ...args) as Promise<IpcResult<T>>;
}

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const wrapped = (_e: unknown, value: T) => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => ipcRenderer.removeListener(channel, wrapped);
}

const api: BridgeApi = {
  info: () => invoke(CHANNELS.engineInfo),
  decodeImage: (bytes) => invoke(CHANNELS.engineDecode, bytes),
  encodeImage: (image, format, quality) => invoke(CHANNELS.engineEncode, image, format, quality),
  fill: (request) => invoke(CHANNELS.engineFill, request),
  cancel: (jobId) => invoke(CHANNELS.engineCancel, jobId),
  loadPack: (dir) => invoke(CHANNELS.engineLoadPack, dir),
  onJobEvent: (listener) => subscribe<JobEvent>(CHANNELS.engineEvent, listener),
  host: {
    kind: 'electron',
    openImageDialog: () => invoke(HOST_CHANNELS.openImage),
    listRecent: () => invoke(HOST_CHANNELS.listRecent),
    openRecent: (id) => invoke(HOST_CHANNELS.openRecent, id),
    addRecent: (file) => invoke(HOST_CHANNELS.addRecent, { name: file.name, path: file.path }),
    saveFile: (request) => invoke(HOST_CHANNELS.save, request),
    choosePackFolder: () => invoke(HOST_CHANNELS.choosePack),
    onMenuCommand: (listener) => {
      const wrapped = (_e: unknown, command: MenuCommand, arg?: string) => listener(command, arg);
      ipcRenderer.on(HOST_CHANNELS.menuCommand, wrapped);
      return () => ipcRenderer.removeListener(HOST_CHANNELS.menuCommand, wrapped);
    },
  },
};

contextBridge.exposeInMainWorld('api', api);
