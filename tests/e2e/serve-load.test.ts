/**
 * The serve bridge under load (issue 8's figures, recorded for docs/RELIABILITY.md): the serve process's
 * resident memory over 200 fills on one connection (growth after a 10-fill warm-up under 50 MB), and 50
 * connections at once, each answered and each filling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './harness.js';
import { client, rssMb, smallFill } from './serve-client.js';
import { recordFigures } from '../reliability/record.js';

const FILLS = 200;
const WARM_UP = 10;
const GROWTH_LIMIT_MB = 50;
const CONNECTIONS = 50;

let s: ServeProcess;
const figures: Record<string, unknown> = {};
beforeAll(async () => {
  s = await startServe();
});
afterAll(async () => {
  recordFigures('serve-load', figures);
  await s?.stop();
});

describe('serve bridge under load', () => {
  it(`memory over ${FILLS} fills on one connection grows by less than ${GROWTH_LIMIT_MB} MB after ${WARM_UP}`, async () => {
    const a = await client(s);
    const start = await rssMb(s.pid);
    const samples: { fills: number; rssMb: number }[] = [];
    const t0 = Date.now();
    for (let i = 1; i <= FILLS; i++) {
      expect(await a.call('fill', [smallFill(2), `f${i}`])).toMatchObject({ ok: true });
      expect((await a.ended(`f${i}`)).stage).toBe('finished');
      if (i === WARM_UP || i % 50 === 0) samples.push({ fills: i, rssMb: Math.round(await rssMb(s.pid)) });
    }
    a.ws.close();
    const warm = samples.find((x) => x.fills === WARM_UP)!.rssMb;
    const end = samples.at(-1)!.rssMb;
    const peak = Math.max(...samples.map((x) => x.rssMb));
    figures.memory = { fills: FILLS, warmUp: WARM_UP, startMb: Math.round(start), warmMb: warm, endMb: end, peakMb: peak, growthMb: end - warm, limitMb: GROWTH_LIMIT_MB, seconds: Math.round((Date.now() - t0) / 1000), samples };
    expect(end - warm).toBeLessThan(GROWTH_LIMIT_MB);
  });

  it(`${CONNECTIONS} connections at once: each answered and each fill finished`, async () => {
    const t0 = Date.now();
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => client(s)));
    const infos = await Promise.all(clients.map((c) => c.call('info', [])));
    expect(infos.every((r) => r.t === 'result' && r.ok)).toBe(true);
    const started = await Promise.all(clients.map((c, i) => c.call('fill', [smallFill(2), `c${i}`])));
    expect(started.every((r) => r.t === 'result' && r.ok)).toBe(true);
    const ends = await Promise.all(clients.map((c, i) => c.ended(`c${i}`, 300_000)));
    const finished = ends.filter((e) => e.stage === 'finished').length;
    // Each connection saw only its own job's events.
    const foreign = clients.reduce((n, c, i) => n + c.events.filter((e) => e.jobId !== `c${i}`).length, 0);
    clients.forEach((c) => c.ws.close());
    figures.connections = { connections: CONNECTIONS, answered: infos.length, fillsFinished: finished, foreignEvents: foreign, seconds: Math.round((Date.now() - t0) / 1000), serverUp: !s.exited() };
    expect(finished).toBe(CONNECTIONS);
    expect(foreign).toBe(0);
    expect(s.exited()).toBe(false);
  }, 400_000);
}, 600_000);
