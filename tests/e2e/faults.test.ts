/**
 * Faults injected (issue 8), and what survived each, recorded for docs/RELIABILITY.md:
 * - the serve process killed with SIGKILL during a fill: the pack is intact and a new server fills;
 * - `vqddm inpaint` killed with SIGKILL at moments spread over its run: never a partial output; the
 *   temporaries a kill left are gone after the next run;
 * - a connection dropped in the middle of its fill: the server stays up and another connection fills;
 * - the pack's files removed while the server runs: fills still finish, on the sessions serve made at
 *   start (onnxruntime holds each model in memory once its session exists); a session that has to be made
 *   after the files went (an engine that was not warmed, with no optimised copy in the cache) fails with
 *   an error naming the missing file.
 * (The desktop Save killed during its write is tests/engine/replace-backup.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import { FIXTURE, ROOT, startServe, TINY_PACK, type ServeProcess } from './harness.js';
import { client, smallFill } from './serve-client.js';
import { recordFigures } from '../reliability/record.js';

const figures: Record<string, unknown> = {};
afterAll(() => recordFigures('faults', figures));
const servers: ServeProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

const packDigest = (dir: string) => {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
};

describe('faults injected', () => {
  it('serve killed with SIGKILL during a fill: the pack is intact, a new server answers and fills', async () => {
    const before = packDigest(TINY_PACK);
    const s = await startServe();
    const a = await client(s);
    expect(await a.call('fill', [smallFill(20, ['vqddm', 'transformer']), 'doomed'])).toMatchObject({ ok: true });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => a.events.some((e) => e.jobId === 'doomed' && e.stage !== 'queued') && (clearInterval(t), resolve()), 5);
    });
    const stage = a.events.at(-1)!.stage;
    process.kill(s.pid, 'SIGKILL');
    await expect.poll(() => s.exited()).toBe(true);
    const b = await startServe();
    servers.push(b);
    const c = await client(b);
    expect(await c.call('fill', [smallFill(), 'after'])).toMatchObject({ ok: true });
    expect((await c.ended('after')).stage).toBe('finished');
    expect(packDigest(TINY_PACK)).toBe(before);
    c.ws.close();
    figures.killFill = { killedAt: stage, packIntact: true, restartedAndFilled: true };
  });

  it('vqddm inpaint killed with SIGKILL at moments over its run: never a partial output; leftovers gone after the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-kill-cli-'));
    const mask = join(dir, 'mask.png');
    const { width, height } = await sharp(FIXTURE).metadata();
    const hole = Buffer.alloc(width! * height!);
    for (let y = 40; y < 100; y++) hole.fill(255, y * width! + 60, y * width! + 140);
    await sharp(hole, { raw: { width: width!, height: height!, channels: 1 } }).png().toFile(mask);
    const out = join(dir, 'out.png');
    const argv = (o: string) => [join(ROOT, 'bin', 'vqddm.js'), 'inpaint', '--image', FIXTURE, '--mask', mask, '--out', o, '--pack', TINY_PACK, '--device', 'cpu', '--steps', '4', '--json'];
    // How long a whole run takes here, to spread the kills over it.
    const t0 = Date.now();
    expect(spawnSync(process.execPath, argv(join(dir, 'whole.png'))).status).toBe(0);
    const runMs = Date.now() - t0;
    const ROUNDS = 10;
    const seen = { noOutput: 0, wholeOutput: 0, finished: 0, killedWhileWriting: 0 };
    const temporaries = new Set<string>();
    for (let k = 0; k < ROUNDS; k++) {
      rmSync(out, { force: true });
      const child = spawn(process.execPath, [...argv(out), '--overwrite'], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (k % 2 === 0) {
        // The moment its temporary output appears: killed while writing.
        let killed = false;
        const watcher = watch(dir, (_e, name) => {
          if (killed || !name || !/^\.out\.png\..*\.tmp$/.test(name)) return;
          killed = child.kill('SIGKILL');
          if (killed) seen.killedWhileWriting++;
        });
        await exited;
        watcher.close();
      } else {
        // At moments spread over a run (loading, filling, encoding).
        await new Promise((r) => setTimeout(r, Math.round(((k + 1) / ROUNDS) * 1.2 * runMs)));
        child.kill('SIGKILL');
        await exited;
      }
      if (child.exitCode === 0) seen.finished++;
      const names = readdirSync(dir);
      names.filter((n) => n.endsWith('.tmp')).forEach((n) => temporaries.add(n));
      if (names.includes('out.png')) {
        const meta = await sharp(out).metadata();
        expect([meta.width, meta.height]).toEqual([width, height]);
        await sharp(out).raw().toBuffer(); // decodes whole
        seen.wholeOutput++;
      } else seen.noOutput++;
    }
    // The next run removes what killed ones left.
    expect(spawnSync(process.execPath, [...argv(out), '--overwrite']).status).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(seen.noOutput + seen.wholeOutput).toBe(ROUNDS);
    expect(seen.killedWhileWriting).toBeGreaterThan(0);
    figures.killCli = { rounds: ROUNDS, runMs, ...seen, temporariesLeft: temporaries.size, leftoversAfterNextRun: 0 };
  });

  it('a connection dropped in the middle of its fill: its job is canceled, the server stays up, another connection fills', async () => {
    const s = await startServe();
    servers.push(s);
    // A fill that runs for seconds (16 samples by 8 candidates of each method, 20 steps): were it not canceled
    // when its connection went, it would still be running when the next one is asked.
    const long = smallFill(20, ['vqddm', 'transformer']);
    long.settings = { ...long.settings, samples: 16, bestOf: 8 };
    const ref = await client(s);
    const t0 = Date.now();
    expect(await ref.call('fill', [long, 'whole'])).toMatchObject({ ok: true });
    expect((await ref.ended('whole', 300_000)).stage).toBe('finished');
    const wholeMs = Date.now() - t0;
    ref.ws.close();
    expect(wholeMs).toBeGreaterThan(1500);

    const a = await client(s);
    expect(await a.call('fill', [long, 'dropped'])).toMatchObject({ ok: true });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => a.events.some((e) => e.jobId === 'dropped' && e.stage === 'sampling') && (clearInterval(t), resolve()), 5);
    });
    a.ws.terminate();
    // Cancellation takes effect between model calls (milliseconds on this pack): 300 ms is ample, and far
    // short of the second and more the dropped fill would still run.
    await new Promise((r) => setTimeout(r, 300));
    const b = await client(s);
    const t1 = Date.now();
    expect(await b.call('fill', [smallFill(), 'next'])).toMatchObject({ ok: true });
    expect((await b.ended('next')).stage).toBe('finished');
    const queued = b.events.find((e) => e.jobId === 'next' && e.stage === 'queued');
    // Nothing ahead of it: the dropped connection's job is no longer running.
    expect(queued && 'total' in queued ? queued.total : -1).toBe(1);
    expect(s.exited()).toBe(false);
    b.ws.close();
    figures.dropped = { serverUp: true, droppedJobCanceled: true, wholeFillMs: wholeMs, nextFillMs: Date.now() - t1 };
  }, 600_000);

  it('pack files removed while the server runs: fills finish from the sessions made at start, every call is answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-gone-pack-'));
    const pack = join(dir, 'tiny');
    cpSync(TINY_PACK, pack, { recursive: true });
    // A cache folder that cannot be made (under a file): no session can come from an optimised copy kept outside the pack.
    writeFileSync(join(dir, 'not-a-folder'), '');
    const s = await startServe(['--pack', pack], { VQDDM_CACHE_DIR: join(dir, 'not-a-folder', 'cache') });
    servers.push(s);
    const a = await client(s);
    // serve starts every session at start (engine.warm(): both methods); a fill by both makes sure they exist.
    expect(await a.call('fill', [smallFill(2, ['vqddm', 'transformer']), 'before'])).toMatchObject({ ok: true });
    expect((await a.ended('before')).stage).toBe('finished');
    rmSync(pack, { recursive: true, force: true });
    const outcome: Record<string, string> = {};
    for (const [id, methods] of [['vqddm-after', ['vqddm']], ['transformer-after', ['transformer']]] as const) {
      expect(await a.call('fill', [smallFill(3, [...methods]), id])).toMatchObject({ ok: true });
      const end = await a.ended(id);
      outcome[id] = end.stage === 'error' ? `error ${end.error.code}: ${end.error.message}` : end.stage;
    }
    // Both run on sessions held in memory: onnxruntime read the model files when it made them.
    expect(outcome).toEqual({ 'vqddm-after': 'finished', 'transformer-after': 'finished' });
    expect(await a.call('info', [])).toMatchObject({ ok: true });
    expect(s.exited()).toBe(false);
    a.ws.close();
    rmSync(dir, { recursive: true, force: true });
    figures.packRemoved = { ...outcome, serverUp: true, infoAnswered: true };
  });

  it('pack files removed before a session was made (no warm-up, no cache): that fill ends with an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqddm-gone-lazy-'));
    const pack = join(dir, 'tiny');
    cpSync(TINY_PACK, pack, { recursive: true });
    const cache = process.env.VQDDM_CACHE_DIR;
    writeFileSync(join(dir, 'not-a-folder'), '');
    process.env.VQDDM_CACHE_DIR = join(dir, 'not-a-folder', 'cache');
    try {
      const engine = await Engine.open(pack, 'cpu'); // the encoder's session only; the rest on first use
      const { image, mask, settings } = smallFill(2, ['vqddm']);
      await engine.fill(image, mask, settings, 'vqddm');
      rmSync(pack, { recursive: true, force: true });
      const err = await engine.fill(image, mask, { ...settings, methods: ['transformer'] }, 'transformer').then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/transformer\.onnx failed.*File doesn't exist/);
      await engine.dispose();
      figures.packRemoved = { ...(figures.packRemoved as object), lazyTransformer: `error: ${err!.message.split('\n')[0]}` };
    } finally {
      if (cache === undefined) delete process.env.VQDDM_CACHE_DIR;
      else process.env.VQDDM_CACHE_DIR = cache;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
