/**
 * Main's handle on the engine utility process: calls go out as messages, results and job events come
 * back. If the process dies, pending calls fail with ENGINE_FAILURE and the next call starts a new one.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import { ApiError, type JobEvent } from '../shared/contract.js';
import type { ServeMessage, ServeOp } from '../shared/serveProtocol.js';

type FromHost = ServeMessage | { t: 'ready' };

export class EngineBridge {
  private child: UtilityProcess | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Set<(e: JobEvent) => void>();
  private readonly script: string;
  private readonly args: string[];

  constructor(script: string, args: string[]) {
    this.script = script;
    this.args = args;
  }

  private ensure(): UtilityProcess {
    if (this.child) return this.child;
    const child = utilityProcess.fork(this.script, this.args, { serviceName: 'VQ-DDM engine', stdio: 'inherit' });
    child.on('message', (msg: FromHost) => {
      if (msg.t === 'event') for (const l of this.listeners) l(msg.event);
      else if (msg.t === 'result') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(ApiError.from(msg.error));
      }
    });
    child.on('exit', (code) => {
      this.child = null;
      for (const p of this.pending.values()) p.reject(new ApiError('ENGINE_FAILURE', `the engine process exited (code ${code})`));
      this.pending.clear();
    });
    this.child = child;
    return child;
  }

  call<T>(op: ServeOp, args: unknown[]): Promise<T> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.postMessage({ t: 'call', id, op, args } satisfies ServeMessage);
    });
  }

  onJobEvent(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start the process now, so the first call does not wait for it. */
  warm(): void {
    this.ensure();
  }

  dispose(): void {
    this.child?.kill();
    this.child = null;
  }
}
