/** Messages of the serve bridge's WebSocket (`/api`), each one `wire` frame. Pure TypeScript. */
import type { ApiErrorShape, JobEvent } from './contract.js';

export const SERVE_OPS = {
  info: 'info',
  decodeImage: 'decodeImage',
  encodeImage: 'encodeImage',
  fill: 'fill',
  cancel: 'cancel',
  loadPack: 'loadPack',
} as const;
export type ServeOp = (typeof SERVE_OPS)[keyof typeof SERVE_OPS];

export type ServeMessage =
  | { t: 'call'; id: number; op: ServeOp; args: unknown[] }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: ApiErrorShape }
  | { t: 'event'; event: JobEvent };

/** Path of the WebSocket endpoint, and the cookie that carries the token after the first page load. */
export const SERVE_WS_PATH = '/api';
export const SERVE_COOKIE = 'vqddm_token';
