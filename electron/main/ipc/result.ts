import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { IpcResult } from '../../shared/host.js';
import { checkHostArgs, type HostArgs, type HostChannel } from './schemas.js';

/** Only the app's own page may call in. */
function trusted(e: IpcMainInvokeEvent, rendererUrl: string): boolean {
  const url = e?.senderFrame?.url ?? '';
  return url === rendererUrl || url.startsWith(`${rendererUrl}#`) || url.startsWith(`${rendererUrl}?`);
}

/**
 * Registers a handler whose errors cross as `{code, message}` (Electron's own rejection drops the code).
 * Before any work, the sender must be the app's page and the arguments must fit the channel's schema
 * (schemas.ts): otherwise the answer is an error with its code, and `fn` never runs.
 */
export function handle<C extends HostChannel, T>(channel: C, rendererUrl: string, fn: (...args: HostArgs<C>) => Promise<T>): void {
  ipcMain.handle(channel, async (e, ...args: unknown[]): Promise<IpcResult<T>> => {
    if (!trusted(e, rendererUrl)) return { ok: false, error: { code: 'IO_ERROR', message: 'untrusted sender' } };
    const checked = checkHostArgs(channel, args);
    if (!checked.ok) return { ok: false, error: { code: 'BAD_REQUEST', message: checked.message } };
    try {
      return { ok: true, value: await fn(...checked.args) };
    } catch (err) {
      const o = err as { code?: unknown; message?: unknown };
      const code = typeof o?.code === 'string' && /^[A-Z_]+$/.test(o.code) ? o.code : 'ENGINE_FAILURE';
      return { ok: false, error: { code, message: typeof o?.message === 'string' ? o.message : String(err) } };
    }
  });
}
