/**
 * The renderer over a privileged custom protocol, `app://bundle/`, instead of file://: the page gets a
 * real origin (storage and the CSP's 'self' mean the bundle, not every local file), file:// keeps no extra
 * privileges (the GrantFileProtocolExtraPrivileges fuse is off), and every response carries the
 * Content-Security-Policy as a header, as the serve bridge's do. Only files inside the built renderer
 * folder are served; anything else is 404.
 */
import { protocol } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CSP, RENDERER_TYPES } from '../shared/csp.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'bundle';
/** The page's file in the built renderer folder (out/renderer). */
export const RENDERER_PAGE = 'index.html';
/** The page's address; IPC accepts calls only from it (ipc/result.ts). */
export const RENDERER_URL = `${APP_SCHEME}://${APP_HOST}/${RENDERER_PAGE}`;

/** Before the app is ready: `app:` is a standard, secure scheme (origin, storage, fetch, ES modules). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

const notFound = () => new Response('not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': CSP } });

/** The response for one `app://` request: a file of `rendererDir`, with the CSP header. Exported for tests. */
export async function rendererResponse(rendererDir: string, requestUrl: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return notFound();
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return notFound();
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(url.pathname === '/' ? `/${RENDERER_PAGE}` : url.pathname)).replace(/^([/\\])+/, '');
  } catch {
    return notFound();
  }
  const file = join(rendererDir, rel);
  if (!file.startsWith(rendererDir + sep)) return notFound();
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) return notFound();
  const body = await readFile(file);
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': RENDERER_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  });
}

/** Once the app is ready: serve `app://bundle/...` from the built renderer. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => rendererResponse(rendererDir, request.url));
}
