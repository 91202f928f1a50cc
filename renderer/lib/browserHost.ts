import type { HostApi, OpenedFile, RecentEntry } from '../../electron/shared/host';

/** The host side of `Api` in a plain browser (serve mode): file input, downloads, IndexedDB recents. */
const DB = 'vqddm-studio';
const STORE = 'recent';
const MAX_RECENT = 6;
const MAX_RECENT_BYTES = 64 * 1024 * 1024;

interface RecentRecord {
  id: string;
  name: string;
  at: number;
  bytes: Uint8Array;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = fn(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

function pickFile(): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    // images, and project files (.vqddm)
    input.accept = 'image/png,image/jpeg,image/webp,image/tiff,image/gif,image/avif,.png,.jpg,.jpeg,.webp,.tif,.tiff,.vqddm';
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null), { once: true });
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}

export const browserHost: HostApi = {
  kind: 'browser',
  async openImageDialog(): Promise<OpenedFile | null> {
    const f = await pickFile();
    return f ? { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) } : null;
  },
  async listRecent(): Promise<RecentEntry[]> {
    try {
      const all = await withStore<RecentRecord[]>('readonly', (s) => s.getAll() as IDBRequest<RecentRecord[]>);
      return all.sort((a, b) => b.at - a.at).map((r) => ({ id: r.id, name: r.name }));
    } catch {
      return [];
    }
  },
  async openRecent(id: string): Promise<OpenedFile> {
    const r = await withStore<RecentRecord | undefined>('readonly', (s) => s.get(id) as IDBRequest<RecentRecord | undefined>);
    if (!r) throw new Error('That recent file is no longer stored.');
    return { name: r.name, bytes: r.bytes };
  },
  async addRecent(file: OpenedFile): Promise<void> {
    if (file.bytes.byteLength > MAX_RECENT_BYTES) return;
    try {
      const list = await this.listRecent();
      for (const old of list.filter((e) => e.name === file.name).concat(list.slice(MAX_RECENT - 1))) {
        await withStore('readwrite', (s) => s.delete(old.id));
      }
      const rec: RecentRecord = { id: `${Date.now()}-${file.name}`, name: file.name, at: Date.now(), bytes: file.bytes };
      await withStore('readwrite', (s) => s.put(rec));
    } catch {
      // Recents are a convenience; a browser without IndexedDB still opens files.
    }
  },
  async saveFile({ suggestedName, bytes }) {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const a = document.createElement('a');
    a.href = url;
    a.download = suggestedName;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return { name: suggestedName };
  },
  async choosePackFolder() {
    return null;
  },
  // The folders are the serving machine's: the Batch view lists them (the engine's listFolder).
  async chooseBatchPath() {
    return null;
  },
  async openBatchFolder() {
    return false;
  },
  onMenuCommand() {
    return () => undefined;
  },
};
