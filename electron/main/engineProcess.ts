/**
 * Main's part in the engine: it starts the engine's utility process and gives each page load a
 * MessagePort straight to it, so fills never pass through main. If the process dies it is started again
 * and every page gets a new port (calls pending on the old one fail with ENGINE_FAILURE in the page).
 */
import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import { ENGINE_PORT_CHANNEL } from '../shared/contract.js';

/** Restarts allowed within RESTART_WINDOW_MS before giving up (a process that dies at once would loop). */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export class EngineProcess {
  private child: UtilityProcess | null = null;
  private readonly pages = new Set<WebContents>();
  private restarts: number[] = [];
  private disposed = false;
  /** Pack folders chosen in this session's dialog: the engine process loads no others (besides the shipped). */
  private readonly allowedPacks = new Set<string>();
  private nextAck = 1;
  private readonly acks = new Map<number, () => void>();

  constructor(
    private readonly script: string,
    private readonly args: string[],
  ) {}

  private ensure(): UtilityProcess {
    if (this.child) return this.child;
    const child = utilityProcess.fork(this.script, this.args, { serviceName: 'VQ-DDM engine', stdio: 'inherit' });
    child.on('message', (m: unknown) => {
      const ack = m as { t?: unknown; id?: unknown };
      if (ack?.t === 'packAllowed' && typeof ack.id === 'number') {
        this.acks.get(ack.id)?.();
        this.acks.delete(ack.id);
      }
    });
    child.on('exit', () => {
      this.child = null;
      for (const done of this.acks.values()) done(); // the restarted process is told again below
      this.acks.clear();
      if (this.disposed) return;
      const now = Date.now();
      this.restarts = [...this.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
      if (this.restarts.length > MAX_RESTARTS) return;
      for (const page of this.pages) this.connect(page);
    });
    this.child = child;
    // A restarted engine process starts with the shipped packs only: tell it this session's choices again.
    for (const dir of this.allowedPacks) child.postMessage({ t: 'allowPack', id: 0, path: dir });
    return child;
  }

  /**
   * Vouches for a pack folder the person chose in the folder dialog: the engine process then accepts a
   * page's loadPack of it (and of no folder main has not vouched for). Resolves once the engine process
   * has it, so the page's loadPack, sent right after, is not refused.
   */
  allowPack(dir: string): Promise<void> {
    this.allowedPacks.add(dir);
    const child = this.ensure();
    const id = this.nextAck++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => (this.acks.delete(id), resolve()), 10_000);
      this.acks.set(id, () => (clearTimeout(timer), resolve()));
      child.postMessage({ t: 'allowPack', id, path: dir });
    });
  }

  /** A new channel between this page and the engine process (at each page load). */
  connect(page: WebContents): void {
    const { port1, port2 } = new MessageChannelMain();
    this.ensure().postMessage({ t: 'port' }, [port1]);
    page.postMessage(ENGINE_PORT_CHANNEL, null, [port2]);
    if (!this.pages.has(page)) {
      this.pages.add(page);
      page.once('destroyed', () => this.pages.delete(page));
    }
  }

  /** Start the process now, so the first page does not wait for it. */
  warm(): void {
    this.ensure();
  }

  dispose(): void {
    this.disposed = true;
    this.child?.kill();
    this.child = null;
  }
}
