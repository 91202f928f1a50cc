// `npm start`: the desktop app in Electron. Where no Electron binary can be had (no download possible,
// unsupported platform), say so and start serve mode instead, opening the same UI in the system browser,
// so the command never just fails. Electron 45's package downloads its binary on first use, not at install.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules', 'electron');
const passArgs = process.argv.slice(2);

/** The Electron executable, or null with the reason. Downloads it once if allowed. */
export function findElectron({ download }) {
  if (!existsSync(join(pkgDir, 'package.json'))) return { path: null, why: 'the electron package is not installed' };
  const binary = () => {
    const pathTxt = join(pkgDir, 'path.txt');
    if (!existsSync(pathTxt)) return null;
    const p = join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
    return existsSync(p) ? p : null;
  };
  let p = binary();
  if (p) return { path: p };
  if (!download || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') return { path: null, why: 'the Electron binary has not been downloaded' };
  console.error('Downloading the Electron binary (once)…');
  const r = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { stdio: 'inherit', timeout: 300_000 });
  p = r.status === 0 ? binary() : null;
  return p ? { path: p } : { path: null, why: 'the Electron binary could not be downloaded (offline?)' };
}

function openBrowser(url) {
  const cmd = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const which = process.platform === 'linux' ? spawnSync('sh', ['-c', 'command -v xdg-open']).status === 0 : true;
  if (!which || process.env.VQDDM_NO_BROWSER === '1') {
    console.error('Open this address in a browser:', url);
    return;
  }
  const child = spawn(cmd[0], cmd[1], { stdio: 'ignore', detached: true });
  child.on('error', () => console.error('Could not open a browser; open this address:', url));
  child.unref();
}

function serveInstead(why) {
  console.error(`Electron is not available: ${why}.`);
  console.error('Starting serve mode instead; the editor opens in your browser. Stop with Ctrl+C.');
  const child = spawn(process.execPath, [join(root, 'out', 'serve', 'index.js'), '--port', '0', ...passArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    const m = /^Serving at (\S+)$/.exec(line);
    if (m) openBrowser(m[1]);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}

const found = findElectron({ download: !process.env.CI });
if (!found.path) {
  serveInstead(found.why);
} else {
  // Chromium refuses to run as root without this; the page stays sandboxed by webPreferences.
  const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const child = spawn(found.path, [...rootArgs, root, ...passArgs], { stdio: 'inherit' });
  child.on('error', (e) => serveInstead(`it failed to start (${e.message})`));
  child.on('exit', (code, signal) => {
    // A binary that cannot run here (missing system libraries) exits at once: fall back.
    if (code !== 0 && !signal && Date.now() - started < 5000) serveInstead(`it exited with code ${code} at start`);
    else process.exit(code ?? 0);
  });
  const started = Date.now();
}
