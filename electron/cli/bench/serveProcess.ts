/** The serve bridge spawned for a bench section (strokes, the app's first fill), and its address once ready. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** The address serve prints when it is ready (`Serving at …`, with its token); rejects if it exits first. */
  ready: Promise<URL>;
}

/** Spawns `serveEntry` (out/serve/index.js) on a free port; the caller kills `child`. */
export function spawnServe(serveEntry: string, packDir: string, rendererDir: string, env?: NodeJS.ProcessEnv): ServeProcess {
  const child = spawn(process.execPath, [serveEntry, '--port', '0', '--pack', packDir, '--renderer', rendererDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<URL>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^Serving at (\S+)$/.exec(line);
      if (m) resolve(new URL(m[1]!));
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready: ${stderr.trim()}`)));
  });
  // Rejected after the caller stopped waiting (killed once done): not an unhandled rejection.
  ready.catch(() => undefined);
  return { child, ready };
}
