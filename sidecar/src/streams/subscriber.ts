import type { StreamEvent } from './event';
import { compareIds, ZERO_ID } from './ids';
import type { Credential } from './auth';
import type { Transport } from './metrics';
import type { TokenFilter } from './schemas';

/**
 * Why a subscriber was closed by the sidecar. Sent to it (SSE `event: error`, WebSocket close
 * reason) and counted in `sidecar_stream_drops_total` except `shutdown` and `closed`.
 */
/** STREAM_CLIENT_BUFFER_BYTES, and how long a cut-off slow consumer gets to read its close frame. */
export interface SubscriberLimits {
  bytes: number;
  slowGraceMs: number;
}

export type CloseReason = 'slow_consumer' | 'dead_peer' | 'token_revoked' | 'unavailable' | 'shutdown' | 'closed';

export const CLOSE_MESSAGES: Record<CloseReason, string> = {
  slow_consumer: 'slow consumer: more than the allowed bytes were waiting to be sent',
  dead_peer: 'no answer to the previous ping',
  token_revoked: 'the token was revoked, expired, or the stream deleted',
  unavailable: 'the stream history could not be read; reconnect with the last event id',
  shutdown: 'the sidecar is restarting; reconnect with the last event id',
  closed: 'closed',
};

/**
 * One connected consumer of a stream, whatever the transport. It tracks the last event id it
 * was sent (`cursor`) and, per event still in its send buffer, where that event ends, so the
 * lag gauge can say how many events it is behind. A write that leaves more than `bound` bytes
 * waiting cuts it off: memory per subscriber stays within `bound` plus one event.
 */
export abstract class Subscriber {
  cursor = ZERO_ID;
  readonly connectedAt = Date.now();
  /** Receives the feed's live events (false while catching up on history). */
  live = false;
  closed = false;
  private written = 0;
  private readonly ends: number[] = [];
  private readonly closeListeners: Array<(reason: CloseReason) => void> = [];
  private drainWaiters: Array<() => void> = [];

  /** Events sent by the last `write` (the others it consumed were filtered out). */
  sentByLastWrite = 0;
  /** Whether an event went out since the last heartbeat (an SSE stream that carries events needs no keep-alive comment). */
  protected sentSinceHeartbeat = false;
  readonly tokenHash: string;
  /** The token's filter: events it does not let through move the cursor on, unsent. */
  filter: TokenFilter | null;

  constructor(
    readonly transport: Transport,
    readonly stream: string,
    credential: Credential,
    protected readonly limits: SubscriberLimits,
  ) {
    this.tokenHash = credential.tokenHash;
    this.filter = credential.filter;
  }

  /** Bytes given to the transport that it has not handed to the kernel yet. */
  abstract buffered(): number;
  protected abstract send(e: StreamEvent): number;
  protected abstract sendReset(requested: string, oldest: string | null): void;
  abstract heartbeat(): CloseReason | null;
  /** Tells the peer why (if it can still hear it) and ends the connection. */
  protected abstract end(reason: CloseReason): void;

  /**
   * Writes the events newer than the cursor; returns how many it consumed (sent, or passed over
   * by the token's filter: the cursor moves past those too, so a resume never re-reads them
   * needlessly; `sentByLastWrite` counts the sent ones). Live events cut a subscriber off once
   * more than `bound` bytes wait (it is not keeping up); catch-up passes `pauseAt` instead,
   * stops there and waits for the buffer to drain before the next page. `after` is the id the
   * events follow, when the caller knows it (the feed's loop).
   */
  write(events: readonly StreamEvent[], pauseAt?: number, after?: string): number {
    this.sentByLastWrite = 0;
    if (this.closed) return 0;
    let i = 0;
    // A live subscriber's cursor is the feed's previous head, the very string: nothing to skip.
    if (this.cursor !== after) while (i < events.length && compareIds(events[i]!.id, this.cursor) <= 0) i++;
    let n = 0;
    let sent = 0;
    // Read once (the getter walks the socket's state, per subscriber per event), then counted up:
    // the kernel can only have taken more, so the estimate errs towards the bound.
    let pending = this.buffered();
    const filter = this.filter;
    for (; i < events.length; i++) {
      const e = events[i]!;
      if (filter && !e.matches(filter)) {
        this.cursor = e.id;
        n++;
        continue;
      }
      if (pauseAt !== undefined && pending > pauseAt) break;
      if (pending > this.limits.bytes) {
        this.close('slow_consumer');
        this.sentByLastWrite = sent;
        return n;
      }
      const bytes = this.send(e);
      pending += bytes;
      this.written += bytes;
      this.ends.push(this.written);
      this.cursor = e.id;
      n++;
      sent++;
    }
    this.sentByLastWrite = sent;
    if (sent) this.sentSinceHeartbeat = true;
    if (this.ends.length > 64) this.pendingEvents(); // prunes what has been sent
    return n;
  }

  /** Tells the subscriber its resume point is gone; it continues from the oldest event kept. */
  reset(requested: string, oldest: string | null): void {
    this.sendReset(requested, oldest);
  }

  /** Events written but still in the send buffer. */
  pendingEvents(): number {
    const sent = this.written - this.buffered();
    let k = 0;
    while (k < this.ends.length && this.ends[k]! <= sent) k++;
    if (k > 0) this.ends.splice(0, k);
    return this.ends.length;
  }

  /** Resolves when the send buffer is empty again (or the subscriber is closed). */
  waitDrain(): Promise<void> {
    if (this.closed || this.buffered() === 0) return Promise.resolve();
    return new Promise((ok) => this.drainWaiters.push(ok));
  }

  protected drained(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const ok of w) ok();
  }

  onClose(cb: (reason: CloseReason) => void): void {
    this.closeListeners.push(cb);
  }

  /** Closes once; `closed` means the peer went away (nothing to tell it). */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== 'closed') this.end(reason);
    this.drained();
    for (const cb of this.closeListeners) cb(reason);
  }
}
