import type { LookupFunction } from 'node:net';
import { request, type Agent } from 'undici';
import { WebSocket } from 'ws';
import { SseParser, type SseMessage } from './sse-parser';

/** Why a source connection failed: a short reason for the status and the reconnect history. */
export class SourceError extends Error {
  override name = 'SourceError';
}

export interface SourceRun {
  url: URL;
  headers: Record<string, string>;
  /** SSE: sent as Last-Event-ID (the URL carries a WebSocket's resume parameter). */
  lastEventId: string | null;
  idleMs: number;
  signal: AbortSignal;
  onOpen(): void;
  /** Awaited before the next event is read: the connection is paced by how fast events are stored. */
  onEvent(e: SseMessage): Promise<void>;
}

/** Messages a WebSocket source may have waiting before the socket is paused. */
const WS_QUEUE_PAUSE = 64;
/** A remote message larger than this closes the connection (1009). */
export const MAX_SOURCE_EVENT_BYTES = 1024 * 1024;

function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'stopped';
}

/**
 * Reads an SSE source until it ends: resolves with why when the remote closed the response,
 * throws {@link SourceError} when it could not connect, answered other than 200
 * `text/event-stream`, or went silent for `idleMs`. The agent's connect lookup is the SSRF guard.
 */
export async function runSse(agent: Agent, run: SourceRun): Promise<string> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache', ...run.headers };
  if (run.lastEventId) headers['last-event-id'] = run.lastEventId;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(run.url, { dispatcher: agent, method: 'GET', headers, signal: run.signal, headersTimeout: 15_000, bodyTimeout: run.idleMs, maxRedirections: 0 } as Parameters<typeof request>[1]);
  } catch (err) {
    if (run.signal.aborted) return abortReason(run.signal);
    throw new SourceError(`connect failed: ${(err as Error).message}`);
  }
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode !== 200 || !type.toLowerCase().startsWith('text/event-stream')) {
    res.body.destroy();
    throw new SourceError(res.statusCode === 200 ? `answered ${type || 'no content type'}, not text/event-stream` : `answered HTTP ${res.statusCode}`);
  }
  run.onOpen();
  const parser = new SseParser();
  try {
    for await (const chunk of res.body) {
      for (const m of parser.push(chunk as Buffer)) {
        if (Buffer.byteLength(m.data) > MAX_SOURCE_EVENT_BYTES) throw new SourceError(`an event is larger than ${MAX_SOURCE_EVENT_BYTES} bytes`);
        await run.onEvent(m);
      }
    }
  } catch (err) {
    if (run.signal.aborted) return abortReason(run.signal);
    if (err instanceof SourceError) throw err;
    const code = (err as { code?: string }).code;
    throw new SourceError(code === 'UND_ERR_BODY_TIMEOUT' ? `nothing received for ${run.idleMs} ms` : `connection lost: ${(err as Error).message}`);
  } finally {
    res.body.destroy();
  }
  return 'the source ended the stream';
}

/**
 * Reads a WebSocket source until it closes. Text or binary messages are the events' data,
 * handled one at a time in order (the socket pauses while too many wait); protocol pings
 * every third of `idleMs` detect a dead peer.
 */
export function runWs(lookup: LookupFunction, run: SourceRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(run.url, {
      headers: run.headers, lookup, handshakeTimeout: 15_000, maxPayload: MAX_SOURCE_EVENT_BYTES, perMessageDeflate: false, followRedirects: false,
    });
    let opened = false;
    let settled = false;
    let lastSeen = Date.now();
    let chain = Promise.resolve();
    let waiting = 0;
    let pinger: NodeJS.Timeout | null = null;
    const finish = (err: SourceError | null, reason = '') => {
      if (settled) return;
      settled = true;
      if (pinger) clearInterval(pinger);
      run.signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners('message');
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      // Events already received are stored before the run ends, so the resume point covers them.
      void chain.then(() => (err ? reject(err) : resolve(reason)), (e: unknown) => reject(e instanceof SourceError ? e : new SourceError(String((e as Error).message))));
    };
    const onAbort = () => finish(null, abortReason(run.signal));
    if (run.signal.aborted) return onAbort();
    run.signal.addEventListener('abort', onAbort);
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      finish(new SourceError(`answered HTTP ${res.statusCode} to the WebSocket upgrade`));
    });
    ws.on('open', () => {
      opened = true;
      lastSeen = Date.now();
      run.onOpen();
      pinger = setInterval(() => {
        if (Date.now() - lastSeen > run.idleMs) return finish(new SourceError(`nothing received for ${run.idleMs} ms`));
        ws.ping();
      }, Math.max(1000, Math.floor(run.idleMs / 3)));
    });
    ws.on('pong', () => (lastSeen = Date.now()));
    ws.on('ping', () => (lastSeen = Date.now()));
    ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer) => {
      lastSeen = Date.now();
      const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
      if (++waiting >= WS_QUEUE_PAUSE) ws.pause();
      chain = chain.then(async () => {
        if (settled && run.signal.aborted) return;
        await run.onEvent({ id: '', type: 'message', data: text });
        if (--waiting < WS_QUEUE_PAUSE / 2 && ws.isPaused) ws.resume();
      });
      chain.catch((err: unknown) => finish(err instanceof SourceError ? err : new SourceError((err as Error).message)));
    });
    ws.on('error', (err) => finish(new SourceError(opened ? `connection lost: ${err.message}` : `connect failed: ${err.message}`)));
    ws.on('close', (code, reason) => finish(null, `the source closed the WebSocket (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
  });
}
