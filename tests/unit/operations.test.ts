/**
 * The operation table and the rpc layer derived from it, over an in-memory channel: what every transport
 * (the desktop's MessagePort, the serve WebSocket) does with a call.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ApiError, DEFAULT_SETTINGS, type FillRequest, type JobEvent } from '../../electron/shared/contract.js';
import { OPERATIONS, type EngineApi, type OperationTable } from '../../electron/shared/operations.js';
import { createRpcClient, serveRpc, type RpcChannel } from '../../electron/shared/rpc.js';

/** Two connected channel ends; `closed` records close reasons. */
function pipe() {
  const handlers: [((m: unknown) => void) | null, ((m: unknown) => void) | null] = [null, null];
  const closers: (() => void)[] = [];
  const closed: string[] = [];
  const end = (i: 0 | 1): RpcChannel => ({
    send: (msg) => queueMicrotask(() => handlers[1 - i]?.(structuredClone(msg))),
    onMessage: (l) => (handlers[i] = l),
    onClose: (l) => closers.push(l),
    close: (reason) => {
      closed.push(reason);
      closers.forEach((c) => c());
    },
  });
  return { client: end(0), server: end(1), closed, raw: (msg: unknown) => handlers[1]?.(msg) };
}

/** The batch's operations (tests/engine/batch-service.test.ts), which these tests do not call. */
const BATCH_OPS = ['listFolder', 'thumbnail', 'batchPreview', 'batchStart', 'batchControl', 'batchStatus', 'batchPick', 'batchExportPicks', 'batchAddPhoto'] as const;
const noBatch = Object.fromEntries(BATCH_OPS.map((op) => [op, async () => Promise.reject(new ApiError('BAD_REQUEST', `${op}: no batch here`))])) as unknown as Pick<EngineApi, (typeof BATCH_OPS)[number]>;

/** An engine whose fills emit a queued and a finished event, and that records cancels. */
function fakeEngine() {
  const listeners = new Set<(e: JobEvent) => void>();
  const canceled: string[] = [];
  const emit = (e: JobEvent) => listeners.forEach((l) => l(e));
  const engine: EngineApi = {
    info: async () => ({ packName: 'fake' }) as Awaited<ReturnType<EngineApi['info']>>,
    decodeImage: async () => ({ width: 1, height: 1, data: new Uint8Array(4), bits: 8 }),
    encodeImage: async () => new Uint8Array([1]),
    encodeEdited: async () => new Uint8Array([1]),
    fill: async (_req, jobId) => {
      emit({ jobId, method: null, stage: 'queued', step: 1, total: 1, elapsedMs: 0 });
      setTimeout(() => emit({ jobId, method: null, stage: 'finished', elapsedMs: 1 }), 5);
    },
    cancel: async (jobId) => void canceled.push(jobId),
    loadPack: async () => {
      throw new ApiError('BAD_PACK', 'no pack there');
    },
    onJobEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    ...noBatch,
    onBatchEvent: () => () => undefined,
  };
  return { engine, canceled };
}

const request: FillRequest = {
  image: { width: 2, height: 2, data: new Uint8Array(16) },
  mask: { width: 2, height: 2, data: new Uint8Array([255, 0, 0, 0]) },
  settings: { ...DEFAULT_SETTINGS },
};

function connect(engine: EngineApi, scope: string, table?: OperationTable) {
  const p = pipe();
  serveRpc(engine, p.server, scope, table);
  const client = createRpcClient(async () => p.client, 'closed', table);
  return { ...p, api: client };
}

describe('operation table and rpc', () => {
  it('an operation added to the table and the engine reaches clients, its arguments checked', async () => {
    const table = { ...OPERATIONS, echo: { args: v.tuple([v.pipe(v.string(), v.maxLength(5))]), invalid: 'BAD_REQUEST' as const } };
    const { engine } = fakeEngine();
    const withEcho = Object.assign(engine, { echo: async (s: string) => s.toUpperCase() });
    const { api } = connect(withEcho, 'c1', table);
    const echo = (api as unknown as { echo: (s: unknown) => Promise<string> }).echo;
    expect(await echo('hello')).toBe('HELLO');
    await expect(echo('too long')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^echo: argument 0: /) });
    await expect(echo(7)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('checks every argument against the table once, naming what is wrong', async () => {
    const { engine } = fakeEngine();
    const { api } = connect(engine, 'c1');
    expect((await api.info()).packName).toBe('fake');
    const call = api.fill as unknown as (...a: unknown[]) => Promise<void>;
    await expect(call(request)).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/^fill: argument 1: /) });
    await expect(call({ ...request, image: { ...request.image, data: new Uint8Array(3) } }, 'j')).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/image data has 3 bytes, expected 16/) });
    await expect(call({ ...request, settings: { ...DEFAULT_SETTINGS, samples: 17 } }, 'j')).rejects.toMatchObject({ code: 'BAD_SETTINGS', message: 'samples must be an integer from 1 to 16, got 17' });
    await expect(call(request, '../../etc')).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/job id/) });
    await expect(api.loadPack('/x')).rejects.toMatchObject({ name: 'ApiError', code: 'BAD_PACK', message: 'no pack there' });
  });

  it('closes a channel that sends something other than a call of the table', async () => {
    const { engine } = fakeEngine();
    for (const bad of [null, 7, { t: 'call', id: 1, op: 'format', args: [] }, { t: 'call', id: 1, op: 'info' }, { t: 'call', id: 'x', op: 'info', args: [] }, { t: 'result', id: 1, ok: true }]) {
      const p = pipe();
      serveRpc(engine, p.server, 'c');
      p.raw(bad);
      expect(p.closed, JSON.stringify(bad)).toEqual(['bad call']);
    }
  });

  it("scopes job ids per client: its own events only, no cancelling another's, its jobs canceled when it closes", async () => {
    const { engine, canceled } = fakeEngine();
    const a = connect(engine, 'a');
    const b = connect(engine, 'b');
    const seen: Record<string, JobEvent[]> = { a: [], b: [] };
    a.api.onJobEvent((e) => seen.a!.push(e));
    b.api.onJobEvent((e) => seen.b!.push(e));
    await a.api.fill(request, 'job');
    await expect(a.api.fill(request, 'job')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(b.api.cancel('job')).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await b.api.fill(request, 'job');
    await expect.poll(() => seen.a!.some((e) => e.stage === 'finished') && seen.b!.some((e) => e.stage === 'finished')).toBe(true);
    expect(seen.a!.map((e) => [e.jobId, e.stage])).toEqual([['job', 'queued'], ['job', 'finished']]);
    expect(seen.b!.map((e) => [e.jobId, e.stage])).toEqual([['job', 'queued'], ['job', 'finished']]);
    // A finished job's id is free again; a client that goes away has its running jobs canceled.
    await a.api.fill(request, 'job');
    a.client.close('page closed');
    expect(canceled).toEqual(['a/job']);
  });
});
