/**
 * Progress on stderr: on a terminal one line redrawn in place (a bar, items done, failures, elapsed, time
 * left, the current photo), with messages printed above it; piped, one plain line per item.
 */

export const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
};

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started = performance.now();
  private current = '';

  constructor(
    /** Items this run works on. */
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = process.stderr.isTTY === true,
  ) {}

  private timeLeft(): string {
    if (this.done === 0) return '';
    const per = (performance.now() - this.started) / this.done;
    return `, ~${clock(per * (this.total - this.done))} left`;
  }

  private status(): string {
    return `${this.done}/${this.total} items, ${this.failed} failed, ${clock(performance.now() - this.started)} elapsed${this.timeLeft()}`;
  }

  private redraw(): void {
    if (!this.tty) return;
    const width = 24;
    const filled = this.total === 0 ? width : Math.round((width * this.done) / this.total);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.status()}${this.current ? `  ${this.current}` : ''}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[K${line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line}`);
  }

  /** A line that stays (a failure, a note), above the bar on a terminal. */
  message(text: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
    this.redraw();
  }

  /** What is being worked on now (terminal only). */
  working(what: string): void {
    this.current = what;
    this.redraw();
  }

  itemFinished(key: string, ok: boolean, detail: string): void {
    this.done++;
    if (!ok) this.failed++;
    this.current = '';
    if (this.tty) {
      if (!ok) this.message(`failed ${key}: ${detail}`);
      else this.redraw();
    } else {
      this.stream.write(`[${this.done}/${this.total}] ${ok ? 'done' : 'FAILED'} ${key}${detail ? `: ${detail}` : ''} (${this.status()})\n`);
    }
  }

  finish(): void {
    if (this.tty) this.stream.write(`\r\x1b[K${this.status()}\n`);
  }
}
