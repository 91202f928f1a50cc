import { SERVE_TOKEN_PARAM } from '../../electron/shared/serveProtocol';

const KEY = 'vqddm-serve-token';

/**
 * The serve bridge's token, for this tab: taken from the address `npm run serve` printed (`?token=`), kept
 * in sessionStorage (per origin, so per port: two servers' pages keep their own tokens, and it outlives a
 * reload), and removed from the address bar so that it is not bookmarked, shared or left in the history.
 * Null when the page was opened without it.
 */
export function takeServeToken(loc: Location = location, store: Storage = sessionStorage, hist: History = history): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get(SERVE_TOKEN_PARAM);
  if (fromUrl === null) return store.getItem(KEY);
  store.setItem(KEY, fromUrl);
  url.searchParams.delete(SERVE_TOKEN_PARAM);
  hist.replaceState(hist.state, '', url.pathname + url.search + url.hash);
  return fromUrl;
}
