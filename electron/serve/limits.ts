/**
 * How many bytes one serve connection may make the server hold: calls received and not yet answered,
 * and replies queued for it and not yet taken. Without them one client could pile up fills (one runs at a
 * time, the rest wait with their pixels) or stop reading its results, until the process runs out of memory.
 */
import { largestMessage } from '../shared/operations.js';

const MiB = 1024 * 1024;

/**
 * Bytes (wire frames) of calls one connection may have awaiting replies. Twice the largest message
 * (decodeImage's 512 MiB): a page has one large call out at a time (opening, filling or saving a photo),
 * two at most, beside small ones. Past it a call is answered BAD_REQUEST, naming this limit, and dropped.
 */
export const SERVE_MAX_PENDING_BYTES = 2 * largestMessage();

/**
 * Bytes of replies and events queued for one connection that it has not taken yet (ws `bufferedAmount`).
 * Above the largest reply (a 100 MP photo's RGBA, 400 MB) with room for the events that keep coming while
 * a page reads one. A connection whose queue is past it when another message is due is closed (1008, the
 * reason naming this limit): it holds at most this plus one message.
 */
export const SERVE_MAX_UNSENT_BYTES = 1024 * MiB;

export interface ConnectionLimits {
  pendingBytes: number;
  unsentBytes: number;
}

export const SERVE_LIMITS: ConnectionLimits = { pendingBytes: SERVE_MAX_PENDING_BYTES, unsentBytes: SERVE_MAX_UNSENT_BYTES };

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** The close reason (at most 123 bytes) for a connection that does not read its replies. */
export function unsentReason(limit: number): string {
  return `replies not read: over ${mib(limit)} queued (SERVE_MAX_UNSENT_BYTES)`;
}

/** One connection's calls awaiting replies, by id (a client may reuse one), with their sizes. */
export class PendingCalls {
  private readonly sizes = new Map<number, number[]>();
  private total = 0;

  constructor(private readonly limit: number) {}

  /** Counts a call in; or, when it would pass the limit, counts nothing and returns the refusal's message. */
  admit(op: string, id: number, bytes: number): string | null {
    if (this.total + bytes > this.limit) {
      return `${op}: refused: this connection has ${mib(this.total)} of calls awaiting replies, and this one's ${mib(bytes)} would pass the limit of ${mib(this.limit)} per connection (SERVE_MAX_PENDING_BYTES); wait for replies before sending more`;
    }
    this.total += bytes;
    const list = this.sizes.get(id);
    if (list) list.push(bytes);
    else this.sizes.set(id, [bytes]);
    return null;
  }

  /** The reply to call `id` is going out: its bytes are no longer held. */
  release(id: number): void {
    const list = this.sizes.get(id);
    if (!list) return;
    this.total -= list.pop()!;
    if (list.length === 0) this.sizes.delete(id);
  }
}
