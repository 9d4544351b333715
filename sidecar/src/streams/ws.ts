import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { Credential } from './auth';
import type { StreamEvent } from './event';
import { CLOSE_MESSAGES, Subscriber, type CloseReason, type SubscriberLimits } from './subscriber';

/** WebSocket close codes by reason: 4008 is 1008 (policy) for a slow consumer, told apart. */
const CLOSE_CODES: Record<Exclude<CloseReason, 'closed' | 'dead_peer'>, number> = {
  slow_consumer: 4008,
  token_revoked: 1008,
  unavailable: 1011,
  shutdown: 1012,
};

/**
 * A subscriber on a WebSocket: JSON text frames `{id,type,data}`, `{type:"reset",…}`; protocol pings.
 * Events go to the upgraded socket as frames built once per event (`StreamEvent.wsFrame`): with
 * permessage-deflate off, `ws` writes each message to the socket at once and in order, so a
 * frame written beside it lands whole between its own (pings, resets, the close frame).
 */
export class WsSubscriber extends Subscriber {
  private alive = true;
  private drainPoll: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    /** The socket `ws` upgraded (the server's `upgrade` event hands it over). */
    private readonly socket: Duplex,
    stream: string,
    credential: Credential,
    limits: SubscriberLimits,
  ) {
    super('ws', stream, credential, limits);
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.close('closed'));
    // An error (bad frame, reset) is followed by 'close'; listening keeps it from being thrown.
    ws.on('error', () => {});
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  protected send(e: StreamEvent): number {
    const frame = e.wsFrame();
    // Nothing after our close frame or the peer's: the protocol ends there.
    if (this.ws.readyState === WebSocket.OPEN) this.socket.write(frame);
    return frame.length;
  }

  protected sendReset(requested: string, oldest: string | null): void {
    this.ws.send(JSON.stringify({ type: 'reset', requested_id: requested, oldest_id: oldest }));
  }

  /** `ws` has no drain event: poll the buffer while someone waits. */
  override waitDrain(): Promise<void> {
    const p = super.waitDrain();
    this.drainPoll ??= setInterval(() => {
      if (this.closed || this.buffered() === 0) {
        clearInterval(this.drainPoll!);
        this.drainPoll = null;
        this.drained();
      }
    }, 10);
    return p;
  }

  heartbeat(): CloseReason | null {
    if (!this.alive) return 'dead_peer';
    if (this.buffered() > this.limits.bytes) return 'slow_consumer';
    this.alive = false;
    this.ws.ping();
    return null;
  }

  protected end(reason: CloseReason): void {
    if (this.drainPoll) clearInterval(this.drainPoll);
    if (reason === 'dead_peer' || reason === 'closed') return void this.ws.terminate();
    this.ws.close(CLOSE_CODES[reason], CLOSE_MESSAGES[reason]);
    // The close frame queues behind what the peer has not read: do not wait on it for long.
    setTimeout(() => this.ws.terminate(), reason === 'slow_consumer' ? this.limits.slowGraceMs : 3000).unref();
  }
}
