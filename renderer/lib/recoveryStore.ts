/**
 * Where the recovery copy lives: IndexedDB, in the browser and in Electron's page alike (Electron keeps it
 * in the app's user data folder). Its own database, so the recent files' one keeps its version.
 * Records: 'doc' (the opened file), 'state' (history and settings), one per applied result and one per
 * results history entry.
 */
import type { Recovery, RecoveryDoc, RecoveryState, RecoveryWrite, StoredPatch } from './recovery';
import type { EntryPixels } from './recoveryEntries';

const DB = 'vqddm-studio-recovery';
const STORE = 'records';

export interface RecoveryBackend {
  load(): Promise<Recovery | null>;
  write(w: RecoveryWrite): Promise<void>;
  clear(): Promise<void>;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('the recovery copy could not be written'));
    tx.onerror = () => reject(tx.error ?? new Error('the recovery copy could not be written'));
  });
}

export function indexedDbRecovery(factory: IDBFactory = indexedDB): RecoveryBackend {
  let opened: Promise<IDBDatabase> | null = null;
  const db = () =>
    (opened ??= new Promise((resolve, reject) => {
      const req = factory.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        opened = null;
        reject(req.error ?? new Error('IndexedDB unavailable'));
      };
    }));

  return {
    async load() {
      const tx = (await db()).transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const [doc, state, keys] = await Promise.all([
        request(store.get('doc') as IDBRequest<RecoveryDoc | undefined>),
        request(store.get('state') as IDBRequest<RecoveryState | undefined>),
        request(store.getAllKeys()),
      ]);
      if (!doc || !state) return null;
      const patches = new Map<string, StoredPatch[]>();
      const entryPixels = new Map<string, EntryPixels>();
      const wanted = new Set([...state.done, ...state.undone].flatMap((e) => (e.kind === 'apply' ? [e.key] : [])));
      const entries = new Set((state.entries ?? []).map((e) => e.key));
      await Promise.all(
        keys
          .filter((k): k is string => typeof k === 'string' && (wanted.has(k) || entries.has(k)))
          .map(async (k) => {
            const v = await request(store.get(k));
            if (wanted.has(k)) patches.set(k, v as StoredPatch[]);
            else entryPixels.set(k, v as EntryPixels);
          }),
      );
      return { doc, state, patches, entryPixels };
    },

    async write(w) {
      const tx = (await db()).transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      if (w.doc) {
        store.clear();
        store.put(w.doc, 'doc');
      }
      for (const [k, v] of w.put) store.put(v, k);
      for (const k of w.remove) store.delete(k);
      store.put(w.state, 'state');
      // Committed now rather than when the task ends, so a write started as the page closes still lands.
      tx.commit?.();
      await done(tx);
    },

    async clear() {
      const tx = (await db()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      tx.commit?.();
      await done(tx);
    },
  };
}
