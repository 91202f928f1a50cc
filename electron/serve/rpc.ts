/** One WebSocket's calls into the engine, each message a `wire` frame (binary, never base64). */
import type { WebSocket } from 'ws';
import { ApiError, type ApiErrorShape, type EngineApi, type JobEvent } from '../shared/contract.js';
import { SERVE_OPS, type ServeMessage } from '../shared/serveProtocol.js';
import { decodeFrame, encodeFrame } from '../shared/wire.js';

const OPS = new Set<string>(Object.values(SERVE_OPS));

export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return e.toShape();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof e.code === 'string') {
    return { code: e.code as ApiErrorShape['code'], message: String(e.message) };
  }
  return { code: 'ENGINE_FAILURE', message: e instanceof Error ? e.message : String(e) };
}

function send(ws: WebSocket, msg: ServeMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeFrame(msg));
}

/** Dispatch one call to the engine; arguments are passed through as the contract types them. */
export async function dispatch(engine: EngineApi, op: string, args: unknown[]): Promise<unknown> {
  const a = args as never[];
  switch (op) {
    case SERVE_OPS.info:
      return engine.info();
    case SERVE_OPS.decodeImage:
      return engine.decodeImage(a[0]!);
    case SERVE_OPS.encodeImage:
      return engine.encodeImage(a[0]!, a[1]!, a[2]!);
    case SERVE_OPS.fill:
      return engine.fill(a[0]!);
    case SERVE_OPS.cancel:
      return engine.cancel(a[0]!);
    case SERVE_OPS.loadPack:
      return engine.loadPack(a[0]!);
    default:
      throw new ApiError('ENGINE_FAILURE', `unknown operation ${op}`);
  }
}

/** The last event of a job: after it the job is gone. */
const finalEvent = (e: JobEvent) => e.method === null && (e.stage === 'finished' || e.stage === 'canceled' || e.stage === 'error');

/**
 * One connection: its calls, and the events of the jobs it started, only those (another connection's
 * results and progress are not its business, and it cannot cancel them). Events of a job can come before
 * its id does (the engine starts a queued job at once), so while a fill of this connection is being queued,
 * events of jobs nobody here knows yet are held, and those of the job it gets are sent after its id.
 */
export function handleSocket(ws: WebSocket, engine: EngineApi): void {
  const jobs = new Set<string>(); // started by this connection and not ended
  let queuing = 0;
  let held: JobEvent[] = [];
  const deliver = (e: JobEvent) => {
    send(ws, { t: 'event', event: e });
    if (finalEvent(e)) jobs.delete(e.jobId);
  };
  const unsubscribe = engine.onJobEvent((e) => {
    if (jobs.has(e.jobId)) deliver(e);
    else if (queuing > 0) held.push(e);
  });
  const queued = (jobId: string | null) => {
    if (jobId !== null) {
      jobs.add(jobId);
      for (const e of held) if (e.jobId === jobId && jobs.has(jobId)) deliver(e);
      held = held.filter((e) => e.jobId !== jobId);
    }
    if (--queuing === 0) held = [];
  };
  // When the page goes away (closed, reloaded) its jobs are canceled, not left running.
  ws.on('close', () => {
    unsubscribe();
    for (const id of jobs) engine.cancel(id).catch(() => undefined);
  });
  // A protocol violation (oversized, unmasked or reserved-bit frame...) is reported here; ws has already
  // failed the connection with the right close code. Without a listener it would crash the process.
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    let msg: ServeMessage;
    try {
      if (!isBinary) throw new Error('text frame');
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      msg = decodeFrame<ServeMessage>(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch {
      ws.close(1003, 'bad frame');
      return;
    }
    if (typeof msg !== 'object' || msg === null || msg.t !== 'call' || typeof msg.id !== 'number' || !OPS.has(msg.op) || !Array.isArray(msg.args)) {
      ws.close(1008, 'bad call');
      return;
    }
    const { id, op, args } = msg;
    if (op === SERVE_OPS.cancel && !jobs.has(String(args[0]))) {
      send(ws, { t: 'result', id, ok: false, error: { code: 'UNKNOWN_JOB', message: `no job ${String(args[0])} of this connection` } });
      return;
    }
    if (op === SERVE_OPS.fill) queuing++;
    dispatch(engine, op, args).then(
      (value) => {
        const jobId = op === SERVE_OPS.fill && typeof value === 'string' ? value : null;
        send(ws, { t: 'result', id, ok: true, value: value ?? null });
        if (op === SERVE_OPS.fill) queued(jobId);
      },
      (e: unknown) => {
        send(ws, { t: 'result', id, ok: false, error: toErrorShape(e) });
        if (op === SERVE_OPS.fill) queued(null);
      },
    );
  });
}
