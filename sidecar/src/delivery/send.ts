import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import { parseRetryAfter } from './retry-after';
import { createSsrfGuard, SsrfRefusedError, type Resolver } from './ssrf';

/**
 * One delivery attempt: POST the exact bytes, report what happened, never throw for network
 * or HTTP failures. undici's Agent keeps a keep-alive pool per origin (measured ≈1.5× node:http
 * here, see bench/sender.ts); every new socket resolves through the SSRF guard's `lookup`.
 */

export interface SenderOptions {
  /** Allow private, loopback, link-local and metadata addresses (`OUTBOUND_ALLOW_PRIVATE`). @defaultValue false */
  allowPrivate: boolean;
  /** Host names or IP literals exempt from the SSRF guard (`OUTBOUND_ALLOW_HOSTS`). */
  allowHosts: string[];
  /** Sent unless the request's own headers set one. @defaultValue `integrations-app-sidecar` */
  userAgent?: string;
  /** Name resolution for the guard; injected by tests. @defaultValue system `dns.lookup` */
  resolve?: Resolver;
}

export interface SendRequest {
  url: string;
  /** Sent as given; never echoed into results or error messages. */
  headers: Record<string, string>;
  /** The exact bytes that were signed. */
  body: string | Buffer;
  /** Deadline for connect + request + response headers + response body. */
  timeoutMs: number;
  /** Response bytes kept; a longer body is cut and its connection closed. @defaultValue 65536 */
  maxResponseBytes?: number;
}

export type SendErrorKind = 'timeout' | 'connect' | 'reset' | 'dns' | 'ssrf' | 'invalid_url' | 'other';

/**
 * `error` null ⇒ the receiver answered with `statusCode` (success is the caller's call: 2xx
 * only). Once the status line has arrived the body is best-effort: if it is cut off by the
 * deadline or a reset, `responseBody` holds what arrived and the status stands.
 */
export interface SendResult {
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  retryAfterMs: number | null;
  error: null | { kind: SendErrorKind; message: string };
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>;
  /** Closes pooled connections after in-flight requests finish. */
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_USER_AGENT = 'integrations-app-sidecar';
const MAX_MESSAGE_CHARS = 300;

const KIND_BY_CODE: Record<string, SendErrorKind> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  ECONNREFUSED: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  EHOSTDOWN: 'connect',
  ENETDOWN: 'connect',
  EADDRNOTAVAIL: 'connect',
  ETIMEDOUT: 'connect',
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
};

/** Our own abort reason, so a deadline is told apart from any other abort. */
class DeadlineError extends Error {
  override name = 'DeadlineError';
}

export function createSender(opts: SenderOptions): Sender {
  const guard = createSsrfGuard(opts);
  const userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
  const agent = new Agent({
    connect: { lookup: guard.lookup },
    // The per-request deadline covers headers and body; undici's own timers would only add work.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  /**
   * URL checks (scheme, credentials, literal address) depend only on the URL and the guard's
   * fixed options, so each URL is parsed and checked once (a batch sends many requests to the
   * same one). Names are still checked at every connect by the guard's lookup.
   */
  type Target = { origin: string; path: string } | { error: NonNullable<SendResult['error']> };
  const targets = new Map<string, Target>();
  function check(raw: string): Target {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { error: { kind: 'invalid_url', message: 'not a valid URL' } };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { error: { kind: 'invalid_url', message: `unsupported scheme ${url.protocol}` } };
    }
    // `origin` would silently drop them, and a password in a URL ends up in logs: use a header.
    if (url.username || url.password) {
      return { error: { kind: 'invalid_url', message: 'credentials in the URL are not supported' } };
    }
    try {
      guard.checkHost(url.hostname);
    } catch (err) {
      return { error: { kind: 'ssrf', message: (err as Error).message } };
    }
    return { origin: url.origin, path: url.pathname + url.search };
  }
  function target(raw: string): Target {
    let t = targets.get(raw);
    if (!t) {
      if (targets.size >= 10_000) targets.clear();
      t = check(raw);
      targets.set(raw, t);
    }
    return t;
  }

  function send(req: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const t = target(req.url);
    if ('error' in t) return Promise.resolve(done(started, null, null, null, { ...t.error }));
    return new Promise<SendResult>((resolve) => {
      const handler = new SendHandler(req, started, resolve);
      try {
        agent.dispatch(
          {
            origin: t.origin,
            path: t.path,
            method: 'POST',
            headers: hasUserAgent(req.headers) ? req.headers : { ...req.headers, 'user-agent': userAgent },
            body: req.body,
          },
          handler,
        );
      } catch (err) {
        // undici reports dispatch errors through onError; this only keeps the never-throw promise.
        handler.onError(err as Error);
      }
    });
  }

  return { send, close: () => agent.close() };
}

function hasUserAgent(headers: Record<string, string>): boolean {
  for (const k in headers) if (k.length === 10 && k.toLowerCase() === 'user-agent') return true;
  return false;
}

function done(
  started: number,
  statusCode: number | null,
  responseBody: string | null,
  retryAfterMs: number | null,
  error: SendResult['error'],
): SendResult {
  return { statusCode, durationMs: Math.round(performance.now() - started), responseBody, retryAfterMs, error };
}

/** Our own abort reason when the body passes the cap: the connection is dropped, not drained. */
class BodyCapError extends Error {
  override name = 'BodyCapError';
}

function onDeadline(h: SendHandler): void {
  h.deadline();
}

/**
 * One attempt, driven by undici's handler callbacks (no promise or Readable per response).
 * The deadline is one timer; it aborts through the `abort` undici hands to `onConnect`
 * (kept until then if the request is still queued). At most `cap` response bytes are kept as
 * UTF-8; a body that goes past the cap is cut and its request aborted, which makes undici
 * drop the connection instead of draining an endless body into memory. Once the status line
 * has arrived, a deadline or reset ends the body: the status stands, with what arrived.
 */
class SendHandler implements Dispatcher.DispatchHandler {
  private abortFn: ((err?: Error) => void) | null = null;
  private timer: NodeJS.Timeout | null;
  private timedOut = false;
  private settled = false;
  private statusCode: number | null = null;
  private retryAfterMs: number | null = null;
  private declared = NaN;
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly cap: number;

  constructor(
    private readonly req: SendRequest,
    private readonly started: number,
    private readonly resolve: (r: SendResult) => void,
  ) {
    this.cap = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.timer = setTimeout(onDeadline, req.timeoutMs, this);
  }

  /** The deadline passed: abort now, or at `onConnect` if the request is still queued. */
  deadline(): void {
    this.timer = null;
    this.timedOut = true;
    if (this.abortFn) this.abortFn(new DeadlineError());
  }

  private finish(error: SendResult['error']): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (error) {
      this.resolve(done(this.started, null, null, null, error));
    } else {
      const body = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks, this.size).toString('utf8');
      this.chunks = [];
      this.resolve(done(this.started, this.statusCode, body, this.retryAfterMs, null));
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.timedOut) abort(new DeadlineError());
    else this.abortFn = abort;
  }

  onHeaders(statusCode: number, headers: Buffer[] | string[] | null, _resume: () => void, _statusText: string): boolean {
    this.statusCode = statusCode;
    let retryAfter: string | undefined;
    let declared = NaN;
    let lengths = 0;
    if (headers) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const k = headers[i]!;
        if (k.length === 11) {
          if (retryAfter === undefined && k.toString().toLowerCase() === 'retry-after') retryAfter = headers[i + 1]!.toString();
        } else if (k.length === 14) {
          if (k.toString().toLowerCase() === 'content-length') {
            declared = lengths++ === 0 ? Number(headers[i + 1]!.toString()) : NaN;
          }
        }
      }
    }
    this.declared = declared;
    this.retryAfterMs = parseRetryAfter(retryAfter, Date.now());
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    const room = this.cap - this.size;
    if (chunk.length > room) {
      if (room > 0) {
        this.chunks.push(chunk.subarray(0, room));
        this.size += room;
      }
      this.cut();
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    // A body not declared to fit is cut as soon as the cap is reached.
    if (this.size >= this.cap && !(this.declared <= this.cap)) this.cut();
    return true;
  }

  private cut(): void {
    this.finish(null);
    this.abortFn?.(new BodyCapError());
  }

  onComplete(_trailers: string[] | null): void {
    this.finish(null);
  }

  onError(err: Error): void {
    if (this.settled) return;
    if (this.statusCode !== null) return this.finish(null);
    if (this.timedOut) return this.finish({ kind: 'timeout', message: `no response within ${this.req.timeoutMs} ms` });
    this.finish(classify(err));
  }
}

/** Node and undici messages carry codes and addresses, never our headers or body; capped anyway. */
function classify(err: unknown): { kind: SendErrorKind; message: string } {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof SsrfRefusedError) return { kind: 'ssrf', message: e.message };
    const code = (e as NodeJS.ErrnoException).code;
    const kind = code === undefined ? undefined : KIND_BY_CODE[code];
    if (kind) return { kind, message: describe(e, code) };
  }
  return { kind: 'other', message: err instanceof Error ? describe(err, (err as NodeJS.ErrnoException).code) : String(err) };
}

function describe(e: Error, code: string | undefined): string {
  const text = code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}
