import { backoffDelay, type BackoffOptions, type GiveUpOptions } from './backoff';
import { compareIds } from './ids';
import { SseParser, type SseFrame } from './sse-parser';

/** One event of the stream. `id` is what a resume continues after. */
export interface StreamMessage<T = unknown> {
  id: string;
  type: string;
  data: T;
}

/** The resume point was older than the stream keeps: events may have been missed; it continues from `oldest_id`. */
export interface ResetInfo {
  requested_id: string;
  oldest_id: string | null;
}

export interface DisconnectInfo {
  /** `network` (lost), `idle`, `ended` (WebSocket closed normally), or the sidecar's reason (`shutdown`, `slow_consumer`, `token_revoked`, …). */
  reason: string;
  /** HTTP status of a refused connection, or the WebSocket close code. */
  code?: number;
  willRetry: boolean;
  /** Set when `willRetry`. */
  retryInMs?: number;
}

export interface ClientEvents {
  event: StreamMessage;
  connected: { transport: Transport; lastEventId: string | null };
  disconnected: DisconnectInfo;
  reset: ResetInfo;
  /** Stopped for good: a refusal (401, 403, 404, 400) or the give-up policy. */
  give_up: { reason: string; code?: number; attempts: number };
}

export type Transport = 'sse' | 'ws';

/** What the client needs of a WebSocket: the browser's, or `ws` in Node before v22. */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface StreamClientOptions {
  /** The sidecar's base URL, e.g. `https://sidecar.example.com`. */
  url: string;
  stream: string;
  /** A stream token (the sidecar stores only its SHA-256). */
  token: string;
  /** @defaultValue 'sse' */
  transport?: Transport;
  /** Resume after this event id (e.g. one kept from an earlier session). */
  lastEventId?: string;
  backoff?: BackoffOptions;
  giveUp?: GiveUpOptions;
  /**
   * SSE: send the token and resume point in the query instead of headers. Browsers then
   * skip the CORS preflight; the token shows in access logs. WebSocket always uses the query
   * (browsers cannot set its headers). @defaultValue false
   */
  tokenInQuery?: boolean;
  /** SSE: a connection silent this long (the sidecar sends heartbeats) is dropped and retried. @defaultValue 45000 */
  idleTimeoutMs?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** @defaultValue globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
}

/** A refusal the sidecar answered with an HTTP status: 4xx other than 408/429 is permanent. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`refused: ${status} ${code}`);
  }
}

const permanent = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

type Listener<K extends keyof ClientEvents> = (payload: ClientEvents[K]) => void;

/**
 * Consumes one stream over SSE (fetch streaming, so headers work everywhere) or WebSocket,
 * reconnecting with exponential back-off and jitter and resuming after the last event it
 * delivered: no gap (a gap the server cannot fill comes as a `reset`), and an id at or before
 * the last one delivered is never delivered again.
 */
export class StreamClient {
  lastEventId: string | null;
  state: 'idle' | 'connecting' | 'open' | 'closed' = 'idle';
  private readonly listeners = new Map<keyof ClientEvents, Set<(payload: never) => void>>();
  private attempts = 0;
  private disconnectedSince: number | null = null;
  private retryHint: number | null = null;
  private serverReason: string | null = null;
  private abort: AbortController | null = null;
  private socket: WebSocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: StreamClientOptions) {
    this.lastEventId = opts.lastEventId ?? null;
  }

  on<K extends keyof ClientEvents>(name: K, fn: Listener<K>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, set);
    set.add(fn as (payload: never) => void);
    return () => set.delete(fn as (payload: never) => void);
  }

  private emit<K extends keyof ClientEvents>(name: K, payload: ClientEvents[K]): void {
    for (const fn of this.listeners.get(name) ?? []) (fn as Listener<K>)(payload);
  }

  start(): this {
    if (this.state === 'idle') void this.connect();
    return this;
  }

  close(): void {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
    this.socket?.close(1000, 'client closed');
  }

  /** Read through a call: TypeScript would keep a narrowing of `state` across the awaits. */
  private closed(): boolean {
    return this.state === 'closed';
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.serverReason = null;
    let info: { reason: string; code?: number };
    try {
      info = (this.opts.transport ?? 'sse') === 'ws' ? await this.runWs() : await this.runSse();
    } catch (err) {
      if (err instanceof Refused) info = { reason: err.code, code: err.status };
      else info = { reason: this.serverReason ?? 'network' };
    }
    if (this.closed()) return;
    this.state = 'connecting';
    this.disconnectedSince ??= Date.now();
    this.attempts++;
    const give = this.opts.giveUp ?? {};
    const stop =
      (info.code !== undefined && info.code < 1000 && permanent(info.code)) ||
      info.reason === 'token_revoked' ||
      this.attempts > (give.maxAttempts ?? Infinity) ||
      Date.now() - this.disconnectedSince > (give.maxDisconnectedMs ?? Infinity);
    if (stop) {
      this.state = 'closed';
      this.emit('disconnected', { ...info, willRetry: false });
      this.emit('give_up', { reason: info.reason, code: info.code, attempts: this.attempts });
      return;
    }
    // The sidecar's `retry:` hint (sent when it restarts) replaces the first delay.
    const delay = this.attempts === 1 && this.retryHint !== null ? this.retryHint : backoffDelay(this.attempts, this.opts.backoff);
    this.emit('disconnected', { ...info, willRetry: true, retryInMs: delay });
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private opened(transport: Transport): void {
    this.state = 'open';
    this.attempts = 0;
    this.disconnectedSince = null;
    this.emit('connected', { transport, lastEventId: this.lastEventId });
  }

  /** Delivers an event unless it is at or before the last one delivered. */
  private deliver(id: string, type: string, data: unknown): void {
    if (this.lastEventId !== null && compareIds(id, this.lastEventId) <= 0) return;
    this.lastEventId = id;
    this.emit('event', { id, type, data });
  }

  private endpoint(kind: Transport, query: Record<string, string | null>): string {
    const u = new URL(`/v1/streams/${encodeURIComponent(this.opts.stream)}/${kind}`, this.opts.url);
    for (const [k, v] of Object.entries(query)) if (v !== null) u.searchParams.set(k, v);
    if (kind === 'ws') u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  private async runSse(): Promise<{ reason: string; code?: number }> {
    const inQuery = this.opts.tokenInQuery ?? false;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (!inQuery) {
      headers.authorization = `Bearer ${this.opts.token}`;
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    }
    const url = this.endpoint('sse', inQuery ? { token: this.opts.token, last_event_id: this.lastEventId } : {});
    const abort = (this.abort = new AbortController());
    const idleMs = this.opts.idleTimeoutMs ?? 45_000;
    let idle: ReturnType<typeof setTimeout> | null = null;
    let timedOut = false;
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => ((timedOut = true), abort.abort()), idleMs);
    };
    try {
      touch();
      const res = await (this.opts.fetch ?? fetch)(url, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        throw new Refused(res.status, body?.error?.code ?? `http_${res.status}`);
      }
      this.opened('sse');
      const parser = new SseParser((f) => this.onSseFrame(f));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        parser.push(decoder.decode(value, { stream: true }));
      }
      // The sidecar says why before it closes a stream; a body that just stops is a lost connection
      // (its SSE bodies are delimited by the connection's end, so a dead peer looks like an end).
      return { reason: this.serverReason ?? 'network' };
    } catch (err) {
      if (timedOut) return { reason: 'idle' };
      throw err;
    } finally {
      if (idle) clearTimeout(idle);
    }
  }

  private onSseFrame(f: SseFrame): void {
    if (f.retry !== undefined) this.retryHint = f.retry;
    if (!f.data) return;
    const data = JSON.parse(f.data) as unknown;
    if (f.event === 'reset') this.emit('reset', data as ResetInfo);
    else if (f.event === 'error') this.serverReason = (data as { code?: string }).code ?? 'error';
    else if (f.id !== undefined) this.deliver(f.id, f.event, data);
  }

  private runWs(): Promise<{ reason: string; code?: number }> {
    const Ctor = this.opts.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node < 22)');
    const ws = (this.socket = new Ctor(this.endpoint('ws', { token: this.opts.token, last_event_id: this.lastEventId })));
    return new Promise((resolve, reject) => {
      let refusal: Refused | null = null;
      ws.onopen = () => this.opened('ws');
      ws.onmessage = (ev) => {
        const m = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data)) as { id?: string; type: string; data?: unknown };
        if (m.id !== undefined) this.deliver(m.id, m.type, m.data);
        else if (m.type === 'reset') this.emit('reset', m as unknown as ResetInfo);
      };
      ws.onerror = (ev) => {
        // Node's `ws` names the status of a refused upgrade; browsers hide it (the give-up policy covers them).
        const status = /Unexpected server response: (\d{3})/.exec(String((ev as { message?: string }).message ?? ''))?.[1];
        if (status) refusal = new Refused(Number(status), Number(status) === 401 ? 'stream_token_invalid' : `http_${status}`);
      };
      ws.onclose = (ev) => {
        this.socket = null;
        if (refusal) return reject(refusal);
        const reason = /^(slow consumer)/.test(ev.reason) ? 'slow_consumer' : CLOSE_REASONS[ev.code] ?? (ev.code === 1000 ? 'ended' : 'network');
        resolve({ reason, code: ev.code });
      };
    });
  }
}

/** The sidecar's close codes (sidecar/README.md "Streams"). */
const CLOSE_REASONS: Record<number, string> = { 1008: 'token_revoked', 1011: 'unavailable', 1012: 'shutdown', 4008: 'slow_consumer' };
