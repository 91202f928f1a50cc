/**
 * Calls into the engine over any message channel, both ends derived from the operation table: the page's
 * client (`createRpcClient`) and the engine side (`serveRpc`). Channels: the serve bridge's WebSocket
 * (`wire` frames) and, on the desktop, a MessagePort straight from the page to the engine process.
 * Pure TypeScript (the page imports it too).
 */
import type { BatchEvent } from './batch.js';
import { ApiError, type ApiErrorShape, type JobEvent } from './contract.js';
import { invokeChecked, isOperation, OPERATIONS, operationsFrom, parseArgs, SMALL_MESSAGE, type EngineApi, type OperationTable } from './operations.js';

export type RpcMessage =
  | { t: 'call'; id: number; op: string; args: unknown[] }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: ApiErrorShape }
  | { t: 'event'; event: JobEvent }
  | { t: 'batch'; event: BatchEvent };

/** One end of a message channel. */
export interface RpcChannel {
  send(msg: RpcMessage): void;
  /**
   * Sets the handler of incoming messages (not yet checked: they come from the other side); `bytes`, where
   * the transport knows it, is the message's size on the wire, checked against the operation's limit.
   */
  onMessage(listener: (msg: unknown, bytes?: number) => void): void;
  onClose(listener: () => void): void;
  /** Ends the connection, e.g. after a message that breaks the protocol. */
  close(reason: string): void;
}

export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return e.toShape();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) {
    return { code: e.code as ApiErrorShape['code'], message: String(e.message) };
  }
  return { code: 'ENGINE_FAILURE', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The engine API over a channel. `open` makes a channel when one is needed (at the first call or
 * subscription, and again after one closes); calls pending on a closed channel fail with ENGINE_FAILURE.
 */
export function createRpcClient(open: () => Promise<RpcChannel>, closedMessage: string, table: OperationTable = OPERATIONS): EngineApi {
  let channel: Promise<RpcChannel> | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: JobEvent) => void>();
  const batchListeners = new Set<(e: BatchEvent) => void>();

  const receive = (raw: unknown) => {
    const msg = raw as RpcMessage; // from the engine side of this app
    if (msg?.t === 'event') {
      for (const l of listeners) l(msg.event);
    } else if (msg?.t === 'batch') {
      for (const l of batchListeners) l(msg.event);
    } else if (msg?.t === 'result') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(ApiError.from(msg.error));
    }
  };
  const connect = (): Promise<RpcChannel> => {
    channel ??= open().then(
      (ch) => {
        ch.onMessage(receive);
        ch.onClose(() => {
          channel = null;
          for (const p of pending.values()) p.reject(new ApiError('ENGINE_FAILURE', closedMessage));
          pending.clear();
        });
        return ch;
      },
      (e: unknown) => {
        channel = null;
        throw e;
      },
    );
    return channel;
  };
  const call = async (op: string, args: unknown[]): Promise<unknown> => {
    const ch = await connect();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ch.send({ t: 'call', id, op, args });
    });
  };
  return {
    ...operationsFrom(call, table),
    onJobEvent(listener) {
      listeners.add(listener);
      // Events flow only while a channel is open: open one as soon as someone listens.
      void connect().catch(() => undefined);
      return () => listeners.delete(listener);
    },
    onBatchEvent(listener) {
      batchListeners.add(listener);
      void connect().catch(() => undefined);
      return () => batchListeners.delete(listener);
    },
  };
}

const megabytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** The last event of a job: after it the job is gone. */
const isFinal = (e: JobEvent) => e.method === null && (e.stage === 'finished' || e.stage === 'canceled' || e.stage === 'error');

function isCall(m: unknown, table: OperationTable): m is { t: 'call'; id: number; op: string; args: unknown[] } {
  if (typeof m !== 'object' || m === null) return false;
  const c = m as Record<string, unknown>;
  return c.t === 'call' && Number.isSafeInteger(c.id) && isOperation(c.op, table) && Array.isArray(c.args);
}

/**
 * The engine side of one client's channel: every call is checked against the operation table, then run.
 * Job ids are the client's own, scoped to `scope` inside the engine, so a client sees the events of its
 * jobs only and can cancel nothing else; its jobs are canceled when its channel closes.
 */
export function serveRpc(engine: EngineApi, channel: RpcChannel, scope: string, table: OperationTable = OPERATIONS): void {
  const own = new Set<string>(); // scoped ids of this client's jobs not yet ended
  const prefix = `${scope}/`;
  const unsubscribe = engine.onJobEvent((e) => {
    if (!own.has(e.jobId)) return;
    if (isFinal(e)) own.delete(e.jobId);
    channel.send({ t: 'event', event: { ...e, jobId: e.jobId.slice(prefix.length) } });
  });
  // The batch is the engine's, not a client's: every client sees its events (a reloaded page reattaches).
  const unsubscribeBatch = engine.onBatchEvent((event) => channel.send({ t: 'batch', event }));
  channel.onClose(() => {
    unsubscribe();
    unsubscribeBatch();
    for (const id of own) engine.cancel(id).catch(() => undefined);
  });
  channel.onMessage((msg, bytes) => {
    if (!isCall(msg, table)) {
      channel.close('bad call');
      return;
    }
    const { id, op } = msg;
    const fail = (error: ApiErrorShape) => channel.send({ t: 'result', id, ok: false, error });
    const entry = table[op]!;
    const maxBytes = entry.maxBytes ?? SMALL_MESSAGE;
    if (bytes !== undefined && bytes > maxBytes) {
      return fail({ code: entry.tooLarge ?? 'BAD_REQUEST', message: `${op}: the message is ${megabytes(bytes)}, above the ${megabytes(maxBytes)} limit of ${op}` });
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs(op, msg.args, table);
    } catch (e) {
      // A check that itself failed on what arrived: the call is refused, the handler never throws (in the
      // engine process a throw here would be an uncaught exception).
      return fail({ code: table[op]!.invalid, message: `${op}: arguments could not be checked (${e instanceof Error ? e.message.split('\n')[0] : 'unreadable value'})` });
    }
    if (!parsed.ok) {
      fail({ code: parsed.code, message: parsed.message });
      return;
    }
    const args: unknown[] = [...parsed.args];
    const job = table[op]!.job;
    let jobId: string | null = null;
    if (job) {
      jobId = prefix + String(args[args.length - 1]);
      if (job === 'start' && own.has(jobId)) return fail({ code: 'BAD_REQUEST', message: `job id ${String(args[args.length - 1])} is already in use` });
      if (job === 'address' && !own.has(jobId)) return fail({ code: 'UNKNOWN_JOB', message: `no job ${String(args[args.length - 1])} of this client` });
      args[args.length - 1] = jobId;
      if (job === 'start') own.add(jobId);
    }
    invokeChecked(engine, op, args).then(
      (value) => channel.send({ t: 'result', id, ok: true, value: value ?? null }),
      (e: unknown) => {
        if (job === 'start' && jobId) own.delete(jobId);
        fail(toErrorShape(e));
      },
    );
  });
}
