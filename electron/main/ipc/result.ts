import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { IpcResult } from '../../shared/host.js';

/** Only the app's own page may call in. */
function trusted(e: IpcMainInvokeEvent, rendererUrl: string): boolean {
  const url = e.senderFrame?.url ?? '';
  return url === rendererUrl || url.startsWith(`${rendererUrl}#`) || url.startsWith(`${rendererUrl}?`);
}

/** Register a handler whose errors cross as `{code, message}` (Electron's own rejection drops the code). */
export function handle<A extends unknown[], T>(channel: string, rendererUrl: string, fn: (...args: A) => Promise<T>): void {
  ipcMain.handle(channel, async (e, ...args: unknown[]): Promise<IpcResult<T>> => {
    if (!trusted(e, rendererUrl)) return { ok: false, error: { code: 'IO_ERROR', message: 'untrusted sender' } };
    try {
      return { ok: true, value: await fn(...(args as A)) };
    } catch (err) {
      const o = err as { code?: unknown; message?: unknown };
      const code = typeof o?.code === 'string' && /^[A-Z_]+$/.test(o.code) ? o.code : 'ENGINE_FAILURE';
      return { ok: false, error: { code, message: typeof o?.message === 'string' ? o.message : String(err) } };
    }
  });
}
