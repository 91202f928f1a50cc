/**
 * `replaceKeepingBackup`, the desktop Save over an opened original: the previous file stays as a backup
 * until the new one is in place; a failed write puts it back; and a process killed with SIGKILL at random
 * moments of a large write always leaves a whole file, the old or the new, never a mix (kill -9 during a
 * write, one of issue 8's injected faults, recorded for docs/RELIABILITY.md).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { removeStaleTemporaries, replaceKeepingBackup, writeFileAtomically } from '../../electron/engine/io/atomicWrite.js';
import { recordFigures } from '../reliability/record.js';

const ORIGINAL = Buffer.from('the original photo, as the person took it');
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vqddm-replace-'));
  const path = join(dir, 'photo.jpg');
  writeFileSync(path, ORIGINAL);
  return { dir, path };
};

describe('replaceKeepingBackup (Save over the opened original)', () => {
  it('keeps the previous file as a backup while the new one is written, and removes it after', async () => {
    const { dir, path } = fresh();
    let during: string[] = [];
    await replaceKeepingBackup(path, new Uint8Array([1, 2, 3]), async (p, data) => {
      during = readdirSync(dir).filter((n) => n.endsWith('.bak'));
      expect(during.map((n) => readFileSync(join(dir, n)).equals(ORIGINAL))).toEqual([true]);
      await writeFileAtomically(p, data);
    });
    expect(during[0]).toMatch(/^\.photo\.jpg\.[0-9a-f]{8}\.bak$/);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['photo.jpg']);
  });

  it('a failed write puts the previous file back, whatever the write left in its place', async () => {
    const { dir, path } = fresh();
    const clobber = async (p: string) => {
      writeFileSync(p, 'half a fi');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(replaceKeepingBackup(path, new Uint8Array(8), clobber)).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(path).equals(ORIGINAL)).toBe(true);
    expect(readdirSync(dir)).toEqual(['photo.jpg']);
  });

  it('killed with SIGKILL at random moments of a 48 MB write: always the old or the new file whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-kill-write-'));
    // The real function in a child process (bundled from the source, as the app bundles it).
    const entry = join(dir, 'writer.mjs');
    writeFileSync(
      join(dir, 'writer-src.mjs'),
      `import { replaceKeepingBackup } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'electron', 'engine', 'io', 'atomicWrite.ts'))};
       const [path, fill] = process.argv.slice(2);
       process.stdout.write('start\\n');
       await replaceKeepingBackup(path, new Uint8Array(48 << 20).fill(Number(fill)));
       process.stdout.write('done\\n');`,
    );
    buildSync({ entryPoints: [join(dir, 'writer-src.mjs')], bundle: true, platform: 'node', format: 'esm', outfile: entry, logLevel: 'error' });
    const path = join(dir, 'photo.png');
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const whole = (fill: number) => digest(Buffer.alloc(48 << 20, fill));
    writeFileSync(path, Buffer.alloc(48 << 20, 0));
    const ROUNDS = 12;
    const seen = { old: 0, new: 0, backupsLeft: 0, temporariesLeft: 0, finished: 0 };
    const known = new Set<string>();
    for (let k = 1; k <= ROUNDS; k++) {
      const before = digest(readFileSync(path));
      const child = spawn(process.execPath, [entry, path, String(k)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((r) => child.stdout.once('data', () => r()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await new Promise((r) => setTimeout(r, 5 + ((k * 37) % 160)));
      child.kill('SIGKILL');
      await exited;
      if (child.exitCode === 0) seen.finished++;
      const now = digest(readFileSync(path));
      expect([before, whole(k)], `round ${k}`).toContain(now);
      if (now === before) seen.old++;
      else seen.new++;
      const names = readdirSync(dir).filter((n) => n.startsWith('.photo.png.'));
      // A backup this kill left holds the previous file whole.
      const backups = names.filter((n) => n.endsWith('.bak') && !known.has(n));
      for (const n of backups) expect(digest(readFileSync(join(dir, n)))).toBe(before);
      backups.forEach((n) => known.add(n));
      seen.backupsLeft += backups.length;
      seen.temporariesLeft += names.filter((n) => n.endsWith('.tmp')).length;
      // The next Save of the file removes the temporaries a killed one left (main calls this first).
      await removeStaleTemporaries(path);
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
    expect(seen.old + seen.new).toBe(ROUNDS);
    recordFigures('kill-write', { rounds: ROUNDS, megabytes: 48, ...seen });
  }, 120_000);
});
