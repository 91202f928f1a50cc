/**
 * Links the app may open in the system browser (`shell.openExternal`): https only, and only on these
 * sites, the ones the app's help and about text link to. Anything else a page asks to open (another
 * scheme, another site, a link with credentials or an odd port) is dropped; nothing opens inside the app.
 */
export const EXTERNAL_ALLOWLIST: readonly string[] = ['https://github.com', 'https://arxiv.org', 'https://onnxruntime.ai'];

export function externalAllowed(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.port === '' && EXTERNAL_ALLOWLIST.includes(url.origin);
}
