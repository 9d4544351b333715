import { performance } from 'node:perf_hooks';
import { notFound } from '../errors';
import type { TokenManager } from '../oauth/tokens';
import {
  CallTimeoutError, CircuitOpenError, ConnectionDisabledError, ConnectionExpiredError, NotConnectedError, RateLimitedError,
  ResponseTooLargeError, UpstreamError,
} from './errors';
import type { CallGuard, GuardLimits, Verdict } from './guard';
import type { Readable } from 'node:stream';
import type { HttpClient, HttpResult, StreamResult } from './http';
import { BREAKER_VALUE, type ConnectionMetrics } from './metrics';
import { decideRetry, isBreakerFailure, type AttemptOutcome } from './policy';
import { authorize, elapsed, endToEnd, fromProxyBody, fromRaw, passBack, type Outgoing, type ProxyResult, type RawRequest, type RawResult } from './outgoing';
import { SNIPPET_CHARS, type CallRecorder } from './recorder';
import { redactSnippet } from './redact';
import { SECRET_FIELDS, usesTokens, type ProxyBody } from './schemas';

export type { ProxyResult, RawRequest, RawResult } from './outgoing';
import type { ConnectionStore, RuntimeConnection, StoredTokens } from './store';

/**
 * `POST /v1/connections/{id}/proxy`: one call to the connection's API with its auth injected,
 * under the one outgoing policy — per-attempt timeout, the shared rate limit and circuit
 * breaker (admit script, one round trip per attempt), retries as `policy.ts` allows — and the
 * upstream's answer passed back whole (up to `max_response_bytes`). An upstream answer of any
 * status is a result; only a call the policy or the network stopped is an error.
 * Providers' own requests (`raw`, `stream`) run through the same loop: bytes in, and bytes or a
 * stream out (`stream`: the answer's body is piped, never held whole, e.g. a 64 MiB object).
 */

/** A streamed answer: the caller reads `body` to its end or destroys it. */
export interface StreamedResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable;
  attempts: number;
  duration_ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = 'buffer' | 'stream';
type Answer<M extends Mode> = M extends 'buffer' ? { r: HttpResult; attempts: number } : { r: StreamResult; attempts: number };

export interface ProxyDeps {
  store: ConnectionStore;
  guard: CallGuard;
  http: HttpClient;
  tokens: TokenManager;
  metrics: ConnectionMetrics;
  /** Per-minute stats in Redis and failed calls for Frappe, batched in process. */
  recorder: CallRecorder;
  /** [0,1) source for jitter; injectable for tests. @defaultValue Math.random */
  random?: () => number;
}

function limits(rt: RuntimeConnection, timeoutMs: number): GuardLimits {
  const c = rt.config;
  return {
    rateIntervalMs: c.rate_limit_per_s ? 1000 / c.rate_limit_per_s : 0,
    burst: c.rate_limit_burst,
    maxWaitMs: c.max_wait_ms,
    cooldownMs: c.breaker.cooldown_s * 1000,
    probeLeaseMs: timeoutMs + 5000,
  };
}

/** The connection's own secret values: never in a kept error or response snippet. */
function connectionSecrets(rt: RuntimeConnection): string[] {
  const out = Object.values(rt.headers);
  for (const f of SECRET_FIELDS[rt.auth.type]) {
    const v = (rt.auth as Record<string, unknown>)[f];
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

export class ProxyService {
  private readonly random: () => number;
  /** Loaded connection copies whose origin passed the IP-literal check (the origin never changes within one). */
  private readonly hostChecked = new WeakSet<RuntimeConnection>();
  constructor(private readonly d: ProxyDeps) {
    this.random = d.random ?? Math.random;
  }

  /** `POST /v1/connections/{id}/proxy`. */
  async call(id: string, req: ProxyBody): Promise<ProxyResult> {
    const o = fromProxyBody(req);
    return this.observed(id, o, async (started) => {
      const { r, attempts } = await this.run(id, o, 'buffer');
      const out = passBack(r, attempts, started);
      return { out, status: out.status, snippet: out.body_encoding === 'utf8' ? out.body : null };
    });
  }

  /** A provider's request with a byte body; the answer whole (up to `max_response_bytes`). */
  async raw(id: string, req: RawRequest): Promise<RawResult> {
    const o = fromRaw(req);
    return this.observed(id, o, async (started) => {
      const { r, attempts } = await this.run(id, o, 'buffer');
      const out = { status: r.status!, headers: endToEnd(r.headers, true), body: r.body, attempts, duration_ms: elapsed(started) };
      return { out, status: out.status, snippet: out.status >= 400 ? r.body.toString('utf8', 0, SNIPPET_CHARS * 2) : null };
    });
  }

  /** As `raw`, but the answer's body streams (a download); only its headers count as the call. */
  async stream(id: string, req: RawRequest): Promise<StreamedResult> {
    const o = fromRaw(req);
    return this.observed(id, o, async (started) => {
      const { r, attempts } = await this.run(id, o, 'stream');
      const out = { status: r.status!, headers: endToEnd(r.headers, true), body: r.body!, attempts, duration_ms: elapsed(started) };
      return { out, status: out.status, snippet: null };
    });
  }

  /** Metrics, stats and the call log around one call, whatever its mode. */
  private async observed<T>(id: string, o: Outgoing, go: (started: number) => Promise<{ out: T & { attempts: number; duration_ms: number }; status: number; snippet: string | null }>): Promise<T> {
    const started = performance.now();
    const m = this.d.metrics;
    let result = 'error';
    try {
      const { out, status, snippet } = await go(started);
      result = `${Math.floor(status / 100)}xx`;
      if (status >= 400) this.failed(id, o, status, 'upstream_status', `The API answered ${status}`, out.attempts, out.duration_ms, snippet);
      return out;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code !== 'not_found') {
        result = code;
        const details = (err as { details?: { attempts?: number } }).details;
        this.failed(id, o, null, code, (err as Error).message, details?.attempts ?? 1, performance.now() - started, null);
      }
      throw err;
    } finally {
      const ms = performance.now() - started;
      m.calls.inc({ connection: id, result });
      m.latency.observe({ connection: id }, ms / 1000);
      // An unknown connection has no stats: ids that do not exist must not grow Redis.
      if (result !== 'error') this.d.recorder.call(id, result, ms);
    }
  }

  /**
   * The connection's secret values this process holds (its auth, headers and tokens), for
   * redacting text kept from its calls; none for a connection not loaded here.
   */
  knownSecrets(id: string): string[] {
    const rt = this.d.store.cached(id);
    return rt ? [...connectionSecrets(rt), ...this.d.tokens.peekSecrets(id)] : [];
  }

  /** Keeps a failed call for the desk's call log, its answer's start redacted. */
  private failed(id: string, o: Outgoing, status: number | null, code: string, message: string, attempts: number, durationMs: number, snippet: string | null): void {
    const secrets = this.knownSecrets(id);
    this.d.recorder.failure({
      connection_id: id,
      method: o.method,
      path: o.path,
      status_code: status,
      error_code: code,
      error: redactSnippet(message, secrets).slice(0, 1000),
      attempts,
      duration_ms: Math.round(durationMs * 100) / 100,
      response_snippet: snippet ? redactSnippet(snippet.slice(0, SNIPPET_CHARS * 2), secrets).slice(0, SNIPPET_CHARS) : null,
      at: new Date().toISOString(),
    });
  }

  private breakerSeen(id: string, state: keyof typeof BREAKER_VALUE): void {
    this.d.metrics.breaker.set({ connection: id }, BREAKER_VALUE[state]);
    this.d.recorder.breaker(id, state);
  }

  /** Admits an attempt: the connection from cache or Redis (or Frappe), its status, breaker and rate slot. */
  private async admit(id: string, rt: RuntimeConnection | undefined, timeoutMs: number | undefined): Promise<{ rt: RuntimeConnection; v: Extract<Verdict, { verdict: 'go' }>; slotAt: number }> {
    const { store, guard } = this.d;
    let conn = rt ?? store.cached(id) ?? (await store.load(id));
    let now = Date.now();
    let v = await guard.admit(id, limits(conn, timeoutMs ?? conn.config.timeout_ms), now);
    if (v.verdict === 'missing') {
      // Deleted, or Redis lost it: load() asks Frappe when there is one.
      store.forget(id);
      this.d.tokens.forget(id);
      conn = await store.load(id);
      now = Date.now();
      v = await guard.admit(id, limits(conn, timeoutMs ?? conn.config.timeout_ms), now);
      if (v.verdict === 'missing') throw notFound(`Connection ${id}`);
    }
    if (v.ver !== conn.ver) conn = store.cached(id, v.ver) ?? (await store.load(id));
    switch (v.verdict) {
      case 'blocked':
        if (v.status === 'disabled') throw new ConnectionDisabledError(id);
        if (v.status === 'not_connected') throw new NotConnectedError(id);
        throw new ConnectionExpiredError(id, 'the provider no longer accepts its tokens');
      case 'open':
        this.breakerSeen(id, 'open');
        throw new CircuitOpenError(id, v.waitMs);
      case 'limited':
        throw new RateLimitedError(id, v.waitMs);
    }
    return { rt: conn, v, slotAt: now + v.waitMs };
  }

  private async run<M extends Mode>(id: string, o: Outgoing, mode: M): Promise<Answer<M>> {
    const { guard, http, tokens, metrics } = this.d;
    let rt: RuntimeConnection | undefined;
    let built: ReturnType<Outgoing['build']> | null = null;
    let builtFor = '';
    let retriedAuth = false;
    for (let attempt = 1; ; attempt++) {
      const admitted = await this.admit(id, rt, o.timeoutMs);
      rt = admitted.rt;
      const v = admitted.v;
      if (v.probe) this.breakerSeen(id, 'half_open');
      // The slot is a time, not a delay: the round trip to Redis is already part of the wait.
      if (v.waitMs > 0) await sleep(admitted.slotAt - Date.now());
      if (builtFor !== rt.ver) {
        // An IP literal never reaches the guard's DNS lookup: check it before any request (once
        // per loaded copy: a PUT or a reload makes a new one, checked again).
        if (!this.hostChecked.has(rt)) {
          try {
            http.checkHost(new URL(rt.origin).hostname);
          } catch (err) {
            throw new UpstreamError(id, 'ssrf', (err as Error).message, attempt - 1);
          }
          this.hostChecked.add(rt);
        }
        built = o.build(rt);
        builtFor = rt.ver;
      }
      const headers = { ...built!.headers };
      const query = new URLSearchParams(built!.query);
      let token: StoredTokens | null = null;
      if (usesTokens(rt.auth)) {
        token = await tokens.accessToken(rt, v.tokAt);
        headers.authorization = `${token.token_type} ${token.access_token}`;
      }
      const { path, body } = authorize(rt, o, headers, query, built!.body, built!.stream, built!.file);
      const timeoutMs = o.timeoutMs ?? rt.config.timeout_ms;
      const request = { origin: rt.origin, path, method: o.method, headers, body, timeoutMs };
      // A streamed body is gone once sent: whatever the answer, there is no second attempt.
      const maxAttempts = o.once ? 1 : rt.config.max_attempts;
      const r: HttpResult | StreamResult = mode === 'buffer'
        ? await http.request({ ...request, maxResponseBytes: rt.config.max_response_bytes })
        : await http.stream(request);
      // A file body's stream is opened per attempt: one the attempt did not read to its end still holds a descriptor.
      if (built!.file) (body as Readable).destroy();
      const outcome: AttemptOutcome = r.error ? { kind: 'error', error: r.error.kind } : { kind: 'response', status: r.status!, headers: r.headers };
      const failed = isBreakerFailure(outcome);
      if (failed || v.probe || v.fails > 0) {
        const b = await guard.record(id, !failed, rt.config.breaker.failure_threshold, v.probe);
        this.breakerSeen(id, b.state);
      }
      // A rejected token (revoked early, rotated elsewhere): one forced refresh, then again.
      if (token && r.status === 401 && !retriedAuth && attempt < maxAttempts) {
        retriedAuth = true;
        discard(r);
        await tokens.refreshAfterRejection(rt, token);
        metrics.retries.inc({ connection: id });
        continue;
      }
      const decision = decideRetry({
        attempt,
        maxAttempts,
        method: o.method,
        hasIdempotencyKey: o.repeatable,
        outcome,
        maxWaitMs: rt.config.max_wait_ms,
        now: Date.now(),
        random: this.random(),
      });
      if (!decision.retry) {
        if (!r.error) return { r, attempts: attempt } as Answer<M>;
        if (r.error.kind === 'timeout') throw new CallTimeoutError(id, timeoutMs, attempt);
        if (r.error.kind === 'too_large') throw new ResponseTooLargeError(id, r.status ?? 0, rt.config.max_response_bytes);
        throw new UpstreamError(id, r.error.kind, r.error.message, attempt);
      }
      discard(r);
      metrics.retries.inc({ connection: id });
      await sleep(decision.delayMs);
    }
  }
}

/** A streamed answer that will not be passed on: its socket goes back to the pool or is closed. */
function discard(r: HttpResult | StreamResult): void {
  const body = r.body as unknown;
  if (body && typeof (body as Readable).destroy === 'function') (body as Readable).resume().on('error', () => {}).destroy();
}
