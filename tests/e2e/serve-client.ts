/** A raw client of the serve bridge for the fault and load suites: calls by id, every job event kept. */
import type WebSocket from 'ws';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent } from '../../electron/shared/contract.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import { apiSocket, type ServeProcess } from './harness.js';

export interface Client {
  ws: WebSocket;
  events: JobEvent[];
  call(op: string, args: unknown[]): Promise<RpcMessage>;
  /** Resolves with the job's last event (finished, canceled or error). */
  ended(jobId: string, timeoutMs?: number): Promise<JobEvent>;
}

export async function client(s: ServeProcess): Promise<Client> {
  const ws = apiSocket(s);
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  const events: JobEvent[] = [];
  const waiting = new Map<number, (m: RpcMessage) => void>();
  const watchers = new Set<() => void>();
  ws.on('message', (d: Buffer) => {
    const m = decodeFrame<RpcMessage>(new Uint8Array(d));
    if (m.t === 'event') {
      events.push(m.event);
      watchers.forEach((w) => w());
    } else if (m.t === 'result') waiting.get(m.id)?.(m);
  });
  let next = 1;
  const call = (op: string, args: unknown[]) =>
    new Promise<RpcMessage>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(encodeFrame({ t: 'call', id, op, args }));
    });
  const ended = (jobId: string, timeoutMs = 120_000) =>
    new Promise<JobEvent>((resolve, reject) => {
      const find = () => events.find((e) => e.jobId === jobId && (e.stage === 'error' || (e.method === null && (e.stage === 'finished' || e.stage === 'canceled'))));
      const timer = setTimeout(() => (watchers.delete(check), reject(new Error(`job ${jobId} did not end in ${timeoutMs} ms`))), timeoutMs);
      const check = () => {
        const e = find();
        if (!e) return;
        clearTimeout(timer);
        watchers.delete(check);
        resolve(e);
      };
      watchers.add(check);
      check();
    });
  return { ws, events, call, ended };
}

/** A small fill: a 192x160 photo with a 40x30 hole, VQ-DDM only, `steps` steps. */
export function smallFill(steps = 3, methods: FillRequest['settings']['methods'] = ['vqddm']): FillRequest {
  const W = 192, H = 160;
  const data = new Uint8Array(W * H * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 251));
  const mask = new Uint8Array(W * H);
  for (let y = 60; y < 90; y++) mask.fill(255, y * W + 70, y * W + 110);
  return { image: { width: W, height: H, data }, mask: { width: W, height: H, data: mask }, settings: { ...DEFAULT_SETTINGS, methods, steps } };
}

/** Resident memory of a process, in MB (Linux /proc). */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
