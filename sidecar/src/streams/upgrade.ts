import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AppError, errorBody } from '../errors';
import { parseInput } from '../http/validate';
import type { Logger } from '../observability/logger';
import { isRedisUnavailable } from '../queues/redis-errors';
import { authenticate, originAllowed, presentedToken } from './auth';
import type { StreamHub } from './fanout';
import { StreamId, SubscribeQuery } from './schemas';
import type { StreamStore } from './store';
import type { SubscriberLimits } from './subscriber';
import { WsSubscriber } from './ws';

const WS_PATH = /^\/v1\/streams\/([^/]+)\/ws$/;

/** Answers a refused upgrade as plain HTTP with the catalogue's JSON body, then closes. */
function refuse(socket: Duplex, err: AppError): void {
  const body = JSON.stringify(errorBody(err));
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `${err.retryAfterS ? `retry-after: ${err.retryAfterS}\r\n` : ''}connection: close\r\n\r\n${body}`,
  );
}

/**
 * `GET /v1/streams/{stream}/ws`: the HTTP server's `upgrade` event comes here (Express never
 * sees upgrades). The same token rules as SSE, plus an Origin check for browsers (WebSockets
 * have no CORS). Returns false for paths it does not serve.
 */
export function streamUpgradeHandler(deps: { store: StreamStore; hub: StreamHub; limits: SubscriberLimits; log: Logger }) {
  // Subscribers send nothing but control frames: a small payload cap keeps a peer from filling memory.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(req.url ?? '/', 'http://sidecar');
    const m = WS_PATH.exec(url.pathname);
    if (!m) return false;
    socket.on('error', () => {});
    void (async () => {
      let raw: string;
      try {
        raw = decodeURIComponent(m[1]!);
      } catch {
        throw new AppError('invalid_request', 'The path has a malformed percent-escape.');
      }
      const stream = parseInput(StreamId, raw, 'stream');
      const query = parseInput(SubscribeQuery, Object.fromEntries(url.searchParams), 'query');
      const cfg = await deps.store.get(stream);
      const credential = authenticate(cfg, presentedToken(req, query));
      if (!originAllowed(cfg!, req.headers.origin)) throw new AppError('origin_not_allowed');
      if (deps.hub.closing) throw new AppError('unavailable', 'The sidecar is shutting down; reconnect.', undefined, 1);
      // Without a resume point: events from now on, fixed before the client hears it is connected.
      const from = query.last_event_id ?? (await deps.store.position(stream)).lastGeneratedId;
      wss.handleUpgrade(req, socket, head, (ws) => {
        void deps.hub.subscribe(stream, new WsSubscriber(ws, socket, stream, credential, deps.limits), from);
      });
    })().catch((err: unknown) => {
      if (err instanceof AppError) return refuse(socket, err);
      if (isRedisUnavailable(err)) return refuse(socket, new AppError('unavailable', 'Redis is unavailable; retry later.', undefined, 5));
      deps.log.error({ err }, 'stream upgrade failed');
      refuse(socket, new AppError('internal'));
    });
    return true;
  };
}
