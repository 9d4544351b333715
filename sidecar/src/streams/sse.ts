import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Credential } from './auth';
import type { StreamEvent } from './event';
import { CLOSE_MESSAGES, Subscriber, type CloseReason, type SubscriberLimits } from './subscriber';

/** Browsers reconnect after this (`retry:`) unless the sidecar says otherwise. */
export const SSE_RETRY_MS = 2000;

/** Response headers of an SSE subscription (CORS ones are set by the route). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx would otherwise buffer the response and hold events back.
  'x-accel-buffering': 'no',
};

/**
 * A subscriber on a `text/event-stream` response. The body is not chunked: it ends when the
 * connection does (an event stream is never followed by another request on its connection),
 * so once the headers are out each frame is one plain write to the socket — the fan-out's hot
 * path, without the per-write chunk framing, corking and bookkeeping of a chunked response.
 */
export class SseSubscriber extends Subscriber {
  private socket: Socket | null = null;

  constructor(
    private readonly res: ServerResponse,
    stream: string,
    credential: Credential,
    limits: SubscriberLimits,
  ) {
    super('sse', stream, credential, limits);
    res.on('close', () => this.close('closed'));
  }

  /** Status and headers (with any CORS headers the route set), then the reconnect hint. */
  open(): void {
    this.res.useChunkedEncodingByDefault = false;
    this.res.writeHead(200, SSE_HEADERS);
    this.res.flushHeaders();
    this.socket = this.res.socket;
    this.socket?.on('drain', () => this.drained());
    this.raw(`retry: ${SSE_RETRY_MS}\n\n`);
  }

  private raw(data: string | Buffer): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(data);
  }

  buffered(): number {
    return this.socket?.writableLength ?? 0;
  }

  protected send(e: StreamEvent): number {
    const frame = e.sseFrame();
    this.raw(frame);
    return frame.length;
  }

  protected sendReset(requested: string, oldest: string | null): void {
    this.raw(`event: reset\ndata: ${JSON.stringify({ requested_id: requested, oldest_id: oldest })}\n\n`);
  }

  /** A comment only on a connection that carried no event since the last one: it exists to keep idle ones open. */
  heartbeat(): CloseReason | null {
    if (this.buffered() > this.limits.bytes) return 'slow_consumer';
    if (!this.sentSinceHeartbeat) this.raw(': heartbeat\n\n');
    this.sentSinceHeartbeat = false;
    return null;
  }

  protected end(reason: CloseReason): void {
    // A restart asks for a quick, spread-out reconnect; the frame says why in any case.
    const retry = reason === 'shutdown' ? `retry: ${500 + Math.floor(Math.random() * 1500)}\n` : '';
    this.raw(`${retry}event: error\ndata: ${JSON.stringify({ code: reason, message: CLOSE_MESSAGES[reason] })}\n\n`);
    this.res.end();
    // A consumer that does not read never lets that frame out: drop its buffer soon.
    const socket = this.socket;
    setTimeout(() => socket?.destroy(), reason === 'slow_consumer' ? this.limits.slowGraceMs : 3000).unref();
  }
}
