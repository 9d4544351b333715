import type { ServerResponse } from 'node:http';
import type { StreamEvent } from './event';
import { CLOSE_MESSAGES, Subscriber, type CloseReason } from './subscriber';

/** Browsers reconnect after this (`retry:`) unless the sidecar says otherwise. */
export const SSE_RETRY_MS = 2000;

/** Response headers of an SSE subscription (CORS ones are added by the route). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx would otherwise buffer the response and hold events back.
  'x-accel-buffering': 'no',
};

/** A subscriber on a `text/event-stream` response. */
export class SseSubscriber extends Subscriber {
  constructor(
    private readonly res: ServerResponse,
    stream: string,
    tokenHash: string,
    bound: number,
  ) {
    super('sse', stream, tokenHash, bound);
    res.on('drain', () => this.drained());
    res.on('close', () => this.close('closed'));
  }

  buffered(): number {
    return this.res.writableLength;
  }

  protected send(e: StreamEvent): number {
    const frame = e.sseFrame();
    this.res.write(frame);
    return frame.length;
  }

  protected sendReset(requested: string, oldest: string | null): void {
    this.res.write(`event: reset\ndata: ${JSON.stringify({ requested_id: requested, oldest_id: oldest })}\n\n`);
  }

  heartbeat(): CloseReason | null {
    if (this.buffered() > this.bound) return 'slow_consumer';
    this.res.write(': heartbeat\n\n');
    return null;
  }

  protected end(reason: CloseReason): void {
    // A restart asks for a quick, spread-out reconnect; the frame says why in any case.
    const retry = reason === 'shutdown' ? `retry: ${500 + Math.floor(Math.random() * 1500)}\n` : '';
    this.res.end(`${retry}event: error\ndata: ${JSON.stringify({ code: reason, message: CLOSE_MESSAGES[reason] })}\n\n`);
    // A consumer that does not read never lets that frame out: drop its buffer soon.
    const socket = this.res.socket;
    setTimeout(() => socket?.destroy(), reason === 'slow_consumer' ? 500 : 3000).unref();
  }
}
