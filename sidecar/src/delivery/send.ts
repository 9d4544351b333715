import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
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

  async function send(req: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const result = (
      statusCode: number | null,
      responseBody: string | null,
      retryAfterMs: number | null,
      error: SendResult['error'],
    ): SendResult => ({ statusCode, durationMs: Math.round(performance.now() - started), responseBody, retryAfterMs, error });

    const t = target(req.url);
    if ('error' in t) return result(null, null, null, { ...t.error });

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineError()), req.timeoutMs);
    try {
      const res = await agent.request({
        origin: t.origin,
        path: t.path,
        method: 'POST',
        headers: hasUserAgent(req.headers) ? req.headers : { ...req.headers, 'user-agent': userAgent },
        body: req.body,
        signal: controller.signal,
      });
      const retryAfter = res.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
      const declared = Number(res.headers['content-length']);
      const body = await readBody(res.body, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, declared);
      return result(res.statusCode, body, retryAfterMs, null);
    } catch (err) {
      if (controller.signal.reason instanceof DeadlineError) {
        return result(null, null, null, { kind: 'timeout', message: `no response within ${req.timeoutMs} ms` });
      }
      return result(null, null, null, classify(err));
    } finally {
      clearTimeout(timer);
    }
  }

  return { send, close: () => agent.close() };
}

function hasUserAgent(headers: Record<string, string>): boolean {
  for (const k in headers) if (k.length === 10 && k.toLowerCase() === 'user-agent') return true;
  return false;
}

/**
 * At most `cap` bytes as UTF-8. A body declared to fit is read in one go (the common, fast
 * case); otherwise chunks are taken until the cap and the stream destroyed, which makes undici
 * drop the connection instead of draining an endless body into memory.
 */
async function readBody(body: Readable & { text(): Promise<string> }, cap: number, declared: number): Promise<string> {
  if (declared <= cap) return body.text().catch(() => '');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = cap - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= cap) break;
    }
  } catch {
    // Cut off after the status line (deadline or reset): the status stands, keep what arrived.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, size).toString('utf8');
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
