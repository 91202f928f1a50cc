/**
 * The preload bridge: `window.api`, one function per operation, typed by the contract. Sandboxed
 * preloads cannot load relative files, so this is bundled to one CommonJS file. Raw ipcRenderer is never
 * exposed. Results arrive as `{ok, value | error}` and errors are rebuilt as ApiError.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ApiError, CHANNELS, type ErrorCode, type JobEvent } from '../shared/contract.js';
import { HOST_CHANNELS, type Api, type IpcResult, type MenuCommand } from '../shared/host.js';

async function invoke<T>(channel: string, ...args: unknown[]): Promise<T> {
  const r = (await ipcRenderer.invoke(channel, ...args)) as IpcResult<T>;
  if (r.ok) return r.value;
  // contextBridge copies only an error's message, so the code goes into it too.
  throw new ApiError(r.error.code as ErrorCode, `${r.error.message} (${r.error.code})`);
}

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const wrapped = (_e: unknown, value: T) => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => ipcRenderer.removeListener(channel, wrapped);
}

const api: Api = {
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
