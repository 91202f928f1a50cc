/**
 * What the renderer needs from its host besides the engine: files, recent files and folder choice.
 * Electron implements it in main (dialogs, paths); the browser (serve mode) implements it in the page
 * (file input, downloads, IndexedDB). The renderer sees only `Api`, never which one it has.
 */
import { ApiError, type ErrorCode } from './contract.js';
import type { EngineApi } from './operations.js';

/** A file the person opened; `path` is known only on the desktop. */
export interface OpenedFile {
  name: string;
  path?: string;
  bytes: Uint8Array;
}

export interface RecentEntry {
  /** A path (desktop) or a storage key (browser). */
  id: string;
  name: string;
}

export interface SaveRequest {
  suggestedName: string;
  bytes: Uint8Array;
  /** Save over this path without asking (desktop Ctrl+S); otherwise a dialog or a download. */
  path?: string;
  /** Filter shown in the save dialog. */
  filter: { name: string; extensions: string[] };
}

export interface SaveResult {
  name: string;
  path?: string;
}

export interface HostApi {
  readonly kind: 'electron' | 'browser';
  /** Show an open-file dialog; null when the person cancels. */
  openImageDialog(): Promise<OpenedFile | null>;
  listRecent(): Promise<RecentEntry[]>;
  openRecent(id: string): Promise<OpenedFile>;
  addRecent(file: OpenedFile): Promise<void>;
  /** Save bytes; null when the person cancels the dialog. */
  saveFile(request: SaveRequest): Promise<SaveResult | null>;
  /** Ask for a model pack folder; null when canceled or when the host cannot (browser). */
  choosePackFolder(): Promise<string | null>;
  /**
   * Ask for a batch folder (or the one mask file, `kind: 'file'`) in the host's dialog; null when
   * canceled, and always null in the browser, whose page lists the serving machine's folders instead
   * (the engine's `listFolder`).
   */
  chooseBatchPath(request: BatchPathRequest): Promise<string | null>;
  /** Shows a folder (a batch's output) in the system's file manager; false where the host cannot (browser). */
  openBatchFolder(path: string): Promise<boolean>;
  /** Commands from the application menu (desktop); the browser never sends any. Returns unsubscribe. */
  onMenuCommand(listener: (command: MenuCommand, arg?: string) => void): () => void;
}

export interface BatchPathRequest {
  /** The dialog's title, e.g. "Choose the photos folder". */
  title: string;
  kind: 'folder' | 'file';
}

/** `openRecent` carries the recent entry's id. */
export type MenuCommand = 'open' | 'openRecent' | 'save' | 'saveAs' | 'exportMask' | 'exportSheet' | 'undo' | 'redo' | 'fill' | 'fit' | 'actualSize';

/** Everything the renderer can call: the engine and its host. */
export interface Api extends EngineApi {
  host: HostApi;
}

/** IPC channel names for the host operations, `namespace:verb`. */
export const HOST_CHANNELS = {
  openImage: 'files:openImage',
  listRecent: 'files:listRecent',
  openRecent: 'files:openRecent',
  addRecent: 'files:addRecent',
  save: 'files:save',
  choosePack: 'dialog:choosePack',
  chooseBatchPath: 'dialog:chooseBatchPath',
  openBatchFolder: 'shell:openBatchFolder',
  menuCommand: 'menu:command',
} as const;

/** What an IPC handler returns: errors travel as `{code, message}` and are rebuilt as `ApiError`. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

type Bridged<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<IpcResult<R>> : F;

/**
 * What the preload exposes as `window.api`: the host operations (the engine is reached over its own
 * MessagePort, see ENGINE_PORT_CHANNEL), each call resolving to an `IpcResult` and never throwing,
 * because contextBridge copies only an Error's message. `hostFromBridge` rebuilds the typed `HostApi`
 * (and `ApiError` with its code) inside the page.
 */
export interface BridgeApi {
  host: { [K in keyof HostApi]: Bridged<HostApi[K]> };
  /**
   * Asks for the engine port: the preload posts it to the page as a window message (ENGINE_PORT_TAG),
   * now if main has sent one, else when it does, and again after each engine restart.
   */
  requestEnginePort(): void;
}

function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error.code as ErrorCode, result.error.message);
}

function unwrapAll(bridged: BridgeApi['host']): HostApi {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bridged)) {
    // Subscriptions return an unsubscribe function synchronously; everything else is a call.
    out[key] = typeof value === 'function' && !key.startsWith('on') ? async (...args: unknown[]) => unwrap(await (value as (...a: unknown[]) => Promise<IpcResult<unknown>>)(...args)) : value;
  }
  return out as unknown as HostApi;
}

export function hostFromBridge(bridge: BridgeApi): HostApi {
  return unwrapAll(bridge.host);
}
