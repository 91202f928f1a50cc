/** `npm start` where no Electron binary can be had: it says so and serves the editor instead. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ROOT, TINY_PACK } from '../e2e/harness.js';

const hasBinary = existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'));

describe.skipIf(hasBinary)('npm start without an Electron binary', () => {
  it('explains, starts serve mode and prints the address', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start-app.mjs'), '--pack', TINY_PACK], {
      cwd: ROOT,
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', VQDDM_NO_BROWSER: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no address in 60 s: ${stderr}`)), 60_000);
        createInterface({ input: child.stdout }).on('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
      });
      expect(line).toMatch(/^Serving at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/);
      expect(stderr).toContain('Electron is not available');
      expect(stderr).toContain('Starting serve mode instead');
      // the printed address opens the editor (the page takes the token from it; no cookie, no redirect)
      const res = await fetch(line.replace('Serving at ', ''), { redirect: 'manual' });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toMatch(/<title>[^<]*VQ-DDM/i);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
