import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { createSsrfGuard, SsrfRefusedError, type Resolver } from '../delivery/ssrf';

/**
 * One outgoing HTTP attempt for connections (proxied calls and token requests): any method,
 * the response's status, headers and body (capped), never a throw for network or HTTP
 * failures. Same guard as webhook deliveries: undici keep-alive pools whose every new socket
 * resolves through the SSRF guard's `lookup`; IP literals are checked before the request.
 */

export interface HttpClientOptions {
  /** `OUTBOUND_ALLOW_PRIVATE`. @defaultValue false */
  allowPrivate: boolean;
  /** `OUTBOUND_ALLOW_HOSTS`. */
  allowHosts: string[];
  /** @defaultValue system `dns.lookup` */
  resolve?: Resolver;
}

export interface HttpRequest {
  /** Already-built origin (`https://host:port`) and path with query. */
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  /** A Readable is sent once, as it is read. */
  body?: string | Buffer | Readable;
  timeoutMs: number;
  maxResponseBytes: number;
}

export type HttpErrorKind = 'timeout' | 'connect' | 'reset' | 'dns' | 'ssrf' | 'too_large' | 'other';

export interface HttpResult {
  status: number | null;
  /** Lower-case names; repeated headers joined with `, ` (set-cookie kept as a list). */
  headers: Record<string, string | string[]>;
  body: Buffer;
  durationMs: number;
  error: null | { kind: HttpErrorKind; message: string };
}

/** A request whose body may be a stream (sent once) and whose answer's body is streamed back. */
export type StreamRequest = Omit<HttpRequest, 'maxResponseBytes'>;

export interface StreamResult {
  status: number | null;
  headers: Record<string, string | string[]>;
  /** The answer's body, to be read or destroyed by the caller; null on error. */
  body: Readable | null;
  durationMs: number;
  error: null | { kind: HttpErrorKind; message: string };
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResult>;
  /**
   * As `request`, but the body is streamed both ways: `timeoutMs` bounds the wait for the
   * answer's headers and every pause between its body's chunks, not the whole transfer.
   */
  stream(req: StreamRequest): Promise<StreamResult>;
  /** Throws {@link SsrfRefusedError} for a forbidden IP-literal host (names are checked at connect). */
  checkHost(hostname: string): void;
  close(): Promise<void>;
}

const KIND_BY_CODE: Record<string, HttpErrorKind> = {
  ENOTFOUND: 'dns', EAI_AGAIN: 'dns', EAI_FAIL: 'dns', EAI_NODATA: 'dns',
  ECONNREFUSED: 'connect', EHOSTUNREACH: 'connect', ENETUNREACH: 'connect', EHOSTDOWN: 'connect', ENETDOWN: 'connect',
  EADDRNOTAVAIL: 'connect', ETIMEDOUT: 'connect', UND_ERR_CONNECT_TIMEOUT: 'connect',
  ECONNRESET: 'reset', ECONNABORTED: 'reset', EPIPE: 'reset', UND_ERR_SOCKET: 'reset',
};

const EMPTY = Buffer.alloc(0);

class DeadlineError extends Error {
  override name = 'DeadlineError';
}
class BodyCapError extends Error {
  override name = 'BodyCapError';
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const guard = createSsrfGuard(opts);
  const agent = new Agent({ connect: { lookup: guard.lookup }, headersTimeout: 0, bodyTimeout: 0 });
  return {
    checkHost: (h) => guard.checkHost(h),
    request(req) {
      const started = performance.now();
      return new Promise<HttpResult>((resolve) => {
        const handler = new CallHandler(req, started, resolve);
        try {
          agent.dispatch({ origin: req.origin, path: req.path, method: req.method, headers: req.headers, body: req.body ?? null }, handler);
        } catch (err) {
          handler.onError(err as Error);
        }
      });
    },
    async stream(req) {
      const started = performance.now();
      try {
        const r = await agent.request({
          origin: req.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body ?? null,
          headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
        });
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k.toLowerCase()] = k.toLowerCase() === 'set-cookie' || !Array.isArray(v) ? v : v.join(', ');
        return { status: r.statusCode, headers, body: r.body, durationMs: performance.now() - started, error: null };
      } catch (err) {
        const code = (err as { code?: string }).code;
        const error = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
          ? { kind: 'timeout' as const, message: `no answer within ${req.timeoutMs} ms` }
          : classify(err, false);
        return { status: null, headers: {}, body: null, durationMs: performance.now() - started, error };
      }
    },
    close: () => agent.close(),
  };
}

function onDeadline(h: CallHandler): void {
  h.deadline();
}

/**
 * undici handler callbacks, as in delivery/send.ts (no Readable or promise per response; one
 * timer). Unlike a delivery, a proxied response must arrive whole: past the cap the request is
 * aborted (the connection dropped, not drained) and the result is `too_large`.
 */
class CallHandler implements Dispatcher.DispatchHandler {
  private abortFn: ((err?: Error) => void) | null = null;
  private timer: NodeJS.Timeout | null;
  private timedOut = false;
  private settled = false;
  private status: number | null = null;
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly req: HttpRequest,
    private readonly started: number,
    private readonly resolve: (r: HttpResult) => void,
  ) {
    this.timer = setTimeout(onDeadline, req.timeoutMs, this);
  }

  deadline(): void {
    this.timer = null;
    this.timedOut = true;
    if (this.abortFn) this.abortFn(new DeadlineError());
  }

  private finish(error: HttpResult['error']): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const body = error ? EMPTY : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.resolve({ status: this.status, headers: this.headers, body, durationMs: performance.now() - this.started, error });
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.timedOut) abort(new DeadlineError());
    else this.abortFn = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
    this.status = statusCode;
    const h: Record<string, string | string[]> = {};
    if (raw) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const k = raw[i]!.toString().toLowerCase();
        const v = raw[i + 1]!.toString();
        const prev = h[k];
        if (prev === undefined) h[k] = k === 'set-cookie' ? [v] : v;
        else if (Array.isArray(prev)) prev.push(v);
        else h[k] = `${prev}, ${v}`;
      }
    }
    this.headers = h;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.size += chunk.length;
    if (this.size > this.req.maxResponseBytes) {
      this.finish({ kind: 'too_large', message: `response over ${this.req.maxResponseBytes} bytes` });
      this.abortFn?.(new BodyCapError());
      return true;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.finish(null);
  }

  onError(err: Error): void {
    if (this.settled) return;
    if (this.timedOut) return this.finish({ kind: 'timeout', message: `no complete response within ${this.req.timeoutMs} ms` });
    this.finish(classify(err, this.status !== null));
  }
}

function classify(err: unknown, afterHeaders: boolean): { kind: HttpErrorKind; message: string } {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof SsrfRefusedError) return { kind: 'ssrf', message: e.message };
    const code = (e as NodeJS.ErrnoException).code;
    const kind = code === undefined ? undefined : KIND_BY_CODE[code];
    if (kind) return { kind: afterHeaders && kind !== 'reset' ? 'reset' : kind, message: describe(e, code) };
  }
  return { kind: afterHeaders ? 'reset' : 'other', message: err instanceof Error ? describe(err, (err as NodeJS.ErrnoException).code) : String(err) };
}

function describe(e: Error, code: string | undefined): string {
  const text = code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
