/**
 * The host IPC handlers (main's channels that are not engine operations: dialogs, files, the shell)
 * against bad arguments, through the main bundle with the stand-in `electron` module: every channel has a
 * schema; each bad call is answered BAD_REQUEST naming the argument before any work (no dialog, no file
 * read or written, nothing opened); then a seeded fuzzer (random values and almost-right calls, bounded in
 * count and time) leaves every handler answering with a result, never a throw.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SCHEMAS } from '../../electron/main/ipc/schemas.js';
import { HOST_CHANNELS } from '../../electron/shared/host.js';
import { int, pick, randomValue, rng } from '../fuzz/generate.js';
import { recordFigures } from '../reliability/record.js';
import { loadMain } from './fake-main.js';

type Result = { ok: boolean; value?: unknown; error?: { code: string; message: string } };
type Handler = (e: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<Result>;
interface Fake {
  __records: { handlers: Record<string, Handler>; loaded: string[]; forks: { child: { kill(): void } }[] };
  dialog: Record<string, (...a: unknown[]) => unknown>;
  shell: Record<string, (...a: unknown[]) => unknown>;
}

const SEED = Number(process.env.FUZZ_SEED ?? 9090);
const CALLS = 2400;
const BUDGET_MS = 30_000;

const dir = mkdtempSync(join(tmpdir(), 'vqddm-hostipc-'));
const existing = join(dir, 'photo.png');
writeFileSync(existing, 'not touched');
const png = { name: 'PNG image', extensions: ['png'] };

/** A well-formed call per channel: the base the fuzzer mutates. */
const VALID: Record<string, unknown[]> = {
  [HOST_CHANNELS.openImage]: [],
  [HOST_CHANNELS.listRecent]: [],
  [HOST_CHANNELS.openRecent]: [existing],
  [HOST_CHANNELS.addRecent]: [{ name: 'photo.png', path: existing }],
  [HOST_CHANNELS.save]: [{ suggestedName: 'photo-filled.png', bytes: new Uint8Array([1, 2, 3]), filter: png }],
  [HOST_CHANNELS.choosePack]: [],
  [HOST_CHANNELS.chooseBatchPath]: [{ title: 'Choose the photos folder', kind: 'folder' }],
  [HOST_CHANNELS.openBatchFolder]: [dir],
};

const saveWith = (o: Record<string, unknown>) => [{ suggestedName: 'x.png', bytes: new Uint8Array([1]), filter: png, ...o }];
const polluted = JSON.parse('{"title":"t","kind":"folder","__proto__":{"polluted":true}}') as unknown;

/** Bad calls per channel, each with what its message must name. */
const BAD: [string, unknown[], RegExp][] = [
  ...[HOST_CHANNELS.openImage, HOST_CHANNELS.listRecent, HOST_CHANNELS.choosePack].flatMap((c): [string, unknown[], RegExp][] => [
    [c, ['/etc/passwd'], /argument 0: this call takes no arguments/],
    [c, [undefined, undefined], /argument 0: this call takes no arguments/],
    [c, [{ path: '/tmp' }], /argument 0: this call takes no arguments/],
  ]),
  [HOST_CHANNELS.openRecent, [], /argument 0: a path must be a string/],
  [HOST_CHANNELS.openRecent, [42], /argument 0: a path must be a string/],
  [HOST_CHANNELS.openRecent, [null], /argument 0: a path must be a string/],
  [HOST_CHANNELS.openRecent, [''], /argument 0: a path may not be empty/],
  [HOST_CHANNELS.openRecent, ['photo.png'], /argument 0: a path must be absolute/],
  [HOST_CHANNELS.openRecent, ['../../etc/passwd'], /argument 0: a path must be absolute/],
  [HOST_CHANNELS.openRecent, ['/etc/passwd\0.png'], /argument 0: a path may not hold a NUL/],
  [HOST_CHANNELS.openRecent, [`/${'a'.repeat(5000)}`], /argument 0: a path may be at most 4096/],
  [HOST_CHANNELS.openRecent, [existing, 'extra'], /argument 1: one argument too many/],
  [HOST_CHANNELS.openRecent, [{ toString: () => existing }], /argument 0: a path must be a string/],
  [HOST_CHANNELS.addRecent, [{ name: 'a/b.png' }], /argument 0.name: a file name may not name a folder/],
  [HOST_CHANNELS.addRecent, [{ name: 'a.png', path: 'rel.png' }], /argument 0.path: a path must be absolute/],
  [HOST_CHANNELS.addRecent, [{ name: 'a.png', bytes: new Uint8Array(3) }], /argument 0.bytes: expected an object with only its known fields/],
  [HOST_CHANNELS.addRecent, ['a.png'], /argument 0: expected an object/],
  [HOST_CHANNELS.save, [], /argument 0: expected an object/],
  [HOST_CHANNELS.save, [null], /argument 0: expected an object/],
  [HOST_CHANNELS.save, saveWith({ bytes: 'AAAA' }), /argument 0.bytes: expected bytes/],
  [HOST_CHANNELS.save, saveWith({ bytes: [1, 2, 3] }), /argument 0.bytes: expected bytes/],
  [HOST_CHANNELS.save, saveWith({ bytes: new Uint16Array(4) }), /argument 0.bytes: expected bytes/],
  [HOST_CHANNELS.save, saveWith({ bytes: new Uint8Array(0) }), /argument 0.bytes: the file may not be empty/],
  [HOST_CHANNELS.save, saveWith({ path: 'relative.png' }), /argument 0.path: a path must be absolute/],
  [HOST_CHANNELS.save, saveWith({ path: 7 }), /argument 0.path: a path must be a string/],
  [HOST_CHANNELS.save, saveWith({ suggestedName: '../../.bashrc' }), /argument 0.suggestedName: a file name may not name a folder/],
  [HOST_CHANNELS.save, saveWith({ suggestedName: '' }), /argument 0.suggestedName: a file name may not be empty/],
  [HOST_CHANNELS.save, saveWith({ filter: { name: 'x', extensions: [] } }), /argument 0.filter.extensions: at least one extension/],
  [HOST_CHANNELS.save, saveWith({ filter: { name: 'x', extensions: ['*'] } }), /argument 0.filter.extensions.0: an extension is/],
  [HOST_CHANNELS.save, saveWith({ filter: { name: 'x', extensions: ['png', 'jpg', 'a', 'b', 'c', 'd', 'e', 'f', 'g'] } }), /argument 0.filter.extensions: at most 8 extensions/],
  [HOST_CHANNELS.save, saveWith({ overwrite: true }), /argument 0.overwrite: expected an object with only its known fields/],
  [HOST_CHANNELS.chooseBatchPath, [{ title: 'x'.repeat(201), kind: 'folder' }], /argument 0.title: the title may be at most 200/],
  [HOST_CHANNELS.chooseBatchPath, [{ title: 't', kind: 'device' }], /argument 0.kind: kind must be "folder" or "file"/],
  [HOST_CHANNELS.chooseBatchPath, [{ title: 3, kind: 'file' }], /argument 0.title: the title must be a string/],
  [HOST_CHANNELS.chooseBatchPath, [polluted], /argument 0.__proto__: expected an object with only its known fields/],
  [HOST_CHANNELS.chooseBatchPath, [{ title: 't', kind: 'folder', defaultPath: '/etc' }], /argument 0.defaultPath: expected an object with only its known fields/],
  [HOST_CHANNELS.openBatchFolder, ['relative/folder'], /argument 0: a path must be absolute/],
  [HOST_CHANNELS.openBatchFolder, [['/tmp']], /argument 0: a path must be a string/],
  [HOST_CHANNELS.openBatchFolder, ['/tmp\0/x'], /argument 0: a path may not hold a NUL/],
  [HOST_CHANNELS.openBatchFolder, [], /argument 0: a path must be a string/],
];

/** An almost-right call: one argument or field replaced, removed or added, or random arguments. */
function mutated(r: () => number, valid: unknown[]): unknown[] {
  const args = valid.map((a) => (a && typeof a === 'object' && !(a instanceof Uint8Array) ? { ...(a as object) } : a));
  switch (int(r, 5)) {
    case 0:
      return Array.from({ length: int(r, 3) }, () => randomValue(r, true));
    case 1:
      return [...args, randomValue(r, true)];
    case 2:
      if (args.length) args[int(r, args.length)] = randomValue(r, true);
      return args;
    default: {
      const obj = args.find((a): a is Record<string, unknown> => !!a && typeof a === 'object');
      if (!obj) return [randomValue(r, true)];
      const keys = Object.keys(obj);
      const key = r() < 0.8 && keys.length ? pick(r, keys) : pick(r, ['path', 'overwrite', 'defaultPath', '__proto__']);
      if (r() < 0.3) delete obj[key];
      else obj[key] = randomValue(r, true);
      return args;
    }
  }
}

describe('Host IPC: each channel checks its arguments against its schema before any work', () => {
  let fake: Fake;
  let trusted: { senderFrame: { url: string } };
  let restore: () => void;
  /** Dialogs shown, folders and links opened: any work the page's call caused. */
  let work = 0;

  beforeAll(async () => {
    ({ fake, restore } = loadMain<Fake>());
    for (const api of [fake.dialog, fake.shell]) {
      for (const [name, fn] of Object.entries(api)) {
        api[name] = (...a: unknown[]) => {
          work++;
          return fn(...a);
        };
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    trusted = { senderFrame: { url: fake.__records.loaded[0]! } };
  });
  afterAll(() => {
    for (const f of fake?.__records.forks ?? []) f.child.kill();
    restore?.();
  });

  it('every host channel main registers has a schema, and every schema a handler', () => {
    const registered = Object.keys(fake.__records.handlers).sort();
    expect(registered).toEqual(Object.keys(HOST_SCHEMAS).sort());
    expect(registered).toEqual(Object.values(HOST_CHANNELS).filter((c) => c !== HOST_CHANNELS.menuCommand).sort());
  });

  it.each(BAD.map(([c, args, why], i) => [`${i}: ${c}`, c, args, why] as const))('%s refuses bad arguments with BAD_REQUEST, doing nothing', async (_n, channel, args, why) => {
    const before = work;
    const r = await fake.__records.handlers[channel]!(trusted, ...args);
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(r.error!.message.startsWith(`${channel}: `)).toBe(true);
    expect(r.error!.message).toMatch(why);
    expect(work).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['photo.png']);
  });

  it(`a seeded fuzzer (${CALLS} calls) gets a result with a code from every handler, never a throw; a refused call does no work`, async () => {
    const r = rng(SEED);
    const channels = Object.keys(VALID);
    const counts = { badRequest: 0, otherErrors: 0, ok: 0, throws: 0, workOnRefused: 0 };
    const t0 = Date.now();
    let sent = 0;
    for (; sent < CALLS && Date.now() - t0 < BUDGET_MS; sent++) {
      const channel = pick(r, channels);
      const args = mutated(r, VALID[channel]!);
      const before = work;
      let res: Result;
      try {
        res = await fake.__records.handlers[channel]!(trusted, ...args);
      } catch {
        counts.throws++;
        continue;
      }
      expect(typeof res.ok).toBe('boolean');
      if (res.ok) counts.ok++;
      else {
        expect(res.error!.code).toMatch(/^[A-Z_]+$/);
        if (res.error!.code === 'BAD_REQUEST') {
          counts.badRequest++;
          if (work !== before) counts.workOnRefused++;
        } else counts.otherErrors++;
      }
    }
    expect(counts.throws).toBe(0);
    expect(counts.workOnRefused).toBe(0);
    expect(counts.badRequest).toBeGreaterThan(sent / 2);
    expect(readdirSync(dir)).toEqual(['photo.png']);
    // Still answering well-formed calls.
    for (const [channel, args] of Object.entries(VALID)) expect((await fake.__records.handlers[channel]!(trusted, ...args)).error?.code, channel).not.toBe('BAD_REQUEST');
    recordFigures('host-ipc', { seed: SEED, channels: channels.length, badCases: BAD.length, sent, ms: Date.now() - t0, ...counts, stillAnswering: true });
  });
});
