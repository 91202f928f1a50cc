/**
 * Protocol fuzzer over the in-memory rpc (`serveRpc`, what the engine process does with each message on
 * a page's MessagePort): seeded random values, almost-right calls and structured-clone oddities (BigInt,
 * NaN, Map, cycles) go in; each must end in an error reply with a code or the channel closed, never a
 * throw out of the message handler (in the engine process that is an uncaught exception: the process
 * dies), never an engine method called with arguments its schema refuses; afterwards a well-formed call
 * is still answered. FUZZ_SEED=n replays a run.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../electron/shared/contract.js';
import { jobIdSchema, OPERATIONS, type EngineApi, type OperationName } from '../../electron/shared/operations.js';
import { serveRpc, type RpcChannel, type RpcMessage } from '../../electron/shared/rpc.js';
import { int, mutatedCall, randomValue, rng } from '../fuzz/generate.js';
import { recordFigures } from '../reliability/record.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240508);
const MESSAGES = 3000;
const BUDGET_MS = 20_000;

/** An engine that answers at once and records every call whose arguments its schema refuses. */
function checkingEngine() {
  const violations: string[] = [];
  const calls: Record<string, number> = {};
  const check = (op: OperationName, args: unknown[]) => {
    calls[op] = (calls[op] ?? 0) + 1;
    const entry = OPERATIONS[op] as { args: v.GenericSchema; job?: string };
    // Job ids arrive scoped ("scope/id"); the client's part must be a job id.
    const own = entry.job ? [...args.slice(0, -1), String(args[args.length - 1]).split('/').slice(1).join('/')] : args;
    if (!v.is(entry.args, own) || (entry.job && !v.is(jobIdSchema, own[own.length - 1]))) violations.push(`${op}(${String(args).slice(0, 80)})`);
  };
  const listeners = new Set<(e: JobEvent) => void>();
  const engine = {
    info: async (...a: unknown[]) => (check('info', a), { packName: 'fake' }) as Awaited<ReturnType<EngineApi['info']>>,
    decodeImage: async (...a: unknown[]) => (check('decodeImage', a), { width: 1, height: 1, data: new Uint8Array(4), bits: 8 }),
    encodeImage: async (...a: unknown[]) => (check('encodeImage', a), new Uint8Array([1])),
    encodeEdited: async (...a: unknown[]) => (check('encodeEdited', a), new Uint8Array([1])),
    fill: async (...a: unknown[]) => {
      check('fill', a);
      const jobId = String(a[1]);
      queueMicrotask(() => listeners.forEach((l) => l({ jobId, method: null, stage: 'finished', elapsedMs: 0 })));
    },
    cancel: async (...a: unknown[]) => void check('cancel', a),
    loadPack: async (...a: unknown[]) => {
      check('loadPack', a);
      throw Object.assign(new Error('no pack there'), { code: 'BAD_PACK' });
    },
    onJobEvent: (l: (e: JobEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    onBatchEvent: () => () => undefined,
  } as unknown as EngineApi;
  return { engine, violations, calls };
}

/** A channel whose other end is the test: `deliver` calls serveRpc's handler directly, as a port would. */
function channel() {
  let handler: ((m: unknown) => void) | null = null;
  const closers: (() => void)[] = [];
  const sent: RpcMessage[] = [];
  const state = { closed: false, reason: '' };
  const ch: RpcChannel = {
    send: (m) => {
      if (!state.closed) sent.push(structuredClone(m));
    },
    onMessage: (l) => (handler = l),
    onClose: (l) => closers.push(l),
    close: (reason) => {
      if (state.closed) return;
      state.closed = true;
      state.reason = reason;
      closers.forEach((c) => c());
    },
  };
  return { ch, sent, state, deliver: (m: unknown) => handler!(m) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe(`rpc fuzzer (seed ${SEED})`, () => {
  it(`${MESSAGES} hostile messages: each answered with an error code or the channel closed; no throw, no bad call reaches the engine`, async () => {
    const r = rng(SEED);
    const { engine, violations, calls } = checkingEngine();
    const throws: string[] = [];
    const badReplies: unknown[] = [];
    let closes = 0, errors = 0, oks = 0;
    let conn = channel();
    const replies: RpcMessage[][] = [conn.sent];
    let scope = 0;
    serveRpc(engine, conn.ch, `page${++scope}`);
    const t0 = Date.now();
    let sent = 0;
    for (; sent < MESSAGES && Date.now() - t0 < BUDGET_MS; sent++) {
      const msg = r() < 0.25 ? randomValue(r, true) : mutatedCall(r, true, 1 + int(r, 1000));
      try {
        conn.deliver(msg);
      } catch (e) {
        throws.push(`${(e as Error).message} <- ${String((msg as { op?: unknown })?.op)}`);
      }
      if (sent % 50 === 49) await settle();
      if (conn.state.closed) {
        closes++;
        conn = channel();
        replies.push(conn.sent);
        serveRpc(engine, conn.ch, `page${++scope}`);
      }
    }
    await settle();
    for (const m of replies.flat()) {
      if (m.t !== 'result') continue;
      if (m.ok) oks++;
      else if (typeof m.error?.code === 'string' && /^[A-Z_]+$/.test(m.error.code) && typeof m.error.message === 'string') errors++;
      else badReplies.push(m);
    }
    expect(throws.slice(0, 5)).toEqual([]);
    expect(violations.slice(0, 5)).toEqual([]);
    expect(badReplies.slice(0, 3)).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(500);
    // Still answering: a well-formed call on the channel of the moment.
    conn.deliver({ t: 'call', id: 999_999, op: 'info', args: [] });
    await settle();
    expect(conn.sent.find((m) => m.t === 'result' && m.id === 999_999)).toMatchObject({ ok: true, value: { packName: 'fake' } });
    expect(closes + errors).toBeGreaterThan(0);
    console.log(`rpc fuzz seed ${SEED}: ${sent} messages in ${Date.now() - t0} ms; ${closes} channel closes, ${errors} error replies, ${oks} ok; engine calls ${JSON.stringify(calls)}`);
    recordFigures('rpc-fuzz', { seed: SEED, sent, ms: Date.now() - t0, closes, errorReplies: errors, okReplies: oks, engineCalls: calls, throws: throws.length, violations: violations.length, stillAnswering: true });
  });
});
