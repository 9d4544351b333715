import { performance } from 'node:perf_hooks';
import { notFound } from '../errors';
import type { TokenManager } from '../oauth/tokens';
import {
  CallTimeoutError, CircuitOpenError, ConnectionDisabledError, ConnectionExpiredError, NotConnectedError, RateLimitedError,
  ResponseTooLargeError, UpstreamError,
} from './errors';
import type { CallGuard, GuardLimits, Verdict } from './guard';
import type { HttpClient, HttpResult } from './http';
import { BREAKER_VALUE, type ConnectionMetrics } from './metrics';
import { decideRetry, isBreakerFailure, type AttemptOutcome } from './policy';
import { awsPath, awsQuery, payloadHash, signSigV4 } from './auth/sigv4';
import { SNIPPET_CHARS, type CallRecorder } from './recorder';
import { redactSnippet } from './redact';
import { SECRET_FIELDS, usesTokens, type ProxyBody } from './schemas';
import type { ConnectionStore, RuntimeConnection, StoredTokens } from './store';

/**
 * `POST /v1/connections/{id}/proxy`: one call to the connection's API with its auth injected,
 * under the one outgoing policy — per-attempt timeout, the shared rate limit and circuit
 * breaker (admit script, one round trip per attempt), retries as `policy.ts` allows — and the
 * upstream's answer passed back whole (up to `max_response_bytes`). An upstream answer of any
 * status is a result; only a call the policy or the network stopped is an error.
 */

export interface ProxyResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  body_encoding: 'utf8' | 'base64';
  attempts: number;
  duration_ms: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'content-length']);
const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|graphql)\b)/i;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Builds the parts of the request that do not change between attempts. */
function buildRequest(rt: RuntimeConnection, req: ProxyBody) {
  const headers: Record<string, string> = { 'user-agent': 'integrations-app-sidecar' };
  for (const k in rt.headers) headers[k.toLowerCase()] = rt.headers[k]!;
  if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k]!;
  let body: string | Buffer | undefined;
  if (req.body !== undefined) {
    if (typeof req.body === 'string' && headers['content-type']) body = req.body_encoding === 'base64' ? Buffer.from(req.body, 'base64') : req.body;
    else {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  if (req.idempotency_key) headers[(req.idempotency_header ?? 'idempotency-key').toLowerCase()] = req.idempotency_key;
  const query = new URLSearchParams(rt.baseQuery);
  if (req.query) for (const [k, v] of Object.entries(req.query)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
  return { headers, body, query };
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

/** Sets the credentials last, so neither defaults nor the caller can replace them. */
function applyStaticAuth(rt: RuntimeConnection, headers: Record<string, string>, query: URLSearchParams): void {
  const a = rt.auth;
  if (a.type === 'api_key') {
    if (a.in === 'header') headers[a.name.toLowerCase()] = a.prefix + a.value;
    else query.set(a.name, a.value);
  } else if (a.type === 'bearer') headers.authorization = `Bearer ${a.token}`;
  else if (a.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}

function passBack(r: HttpResult, attempts: number, started: number): ProxyResult {
  const headers: Record<string, string | string[]> = {};
  for (const k in r.headers) if (!HOP_BY_HOP.has(k)) headers[k] = r.headers[k]!;
  const type = r.headers['content-type'];
  const textual = typeof type === 'string' ? TEXTUAL.test(type) : r.body.length === 0;
  return {
    status: r.status!,
    headers,
    body: textual ? r.body.toString('utf8') : r.body.toString('base64'),
    body_encoding: textual ? 'utf8' : 'base64',
    attempts,
    duration_ms: Math.round((performance.now() - started) * 100) / 100,
  };
}

export class ProxyService {
  private readonly random: () => number;
  constructor(private readonly d: ProxyDeps) {
    this.random = d.random ?? Math.random;
  }

  async call(id: string, req: ProxyBody): Promise<ProxyResult> {
    const started = performance.now();
    const m = this.d.metrics;
    let result = 'error';
    try {
      const out = await this.run(id, req, started);
      result = `${Math.floor(out.status / 100)}xx`;
      if (out.status >= 400) this.failed(id, req, out.status, 'upstream_status', `The API answered ${out.status}`, out.attempts, out.duration_ms, out);
      return out;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code !== 'not_found') {
        result = code;
        const details = (err as { details?: { attempts?: number } }).details;
        this.failed(id, req, null, code, (err as Error).message, details?.attempts ?? 1, performance.now() - started, null);
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

  /** Keeps a failed call for the desk's call log, its answer's start redacted. */
  private failed(id: string, req: ProxyBody, status: number | null, code: string, message: string, attempts: number, durationMs: number, out: ProxyResult | null): void {
    const rt = this.d.store.cached(id);
    const secrets = rt ? [...connectionSecrets(rt), ...this.d.tokens.peekSecrets(id)] : [];
    this.d.recorder.failure({
      connection_id: id,
      method: req.method,
      path: req.path,
      status_code: status,
      error_code: code,
      error: redactSnippet(message, secrets).slice(0, 1000),
      attempts,
      duration_ms: Math.round(durationMs * 100) / 100,
      response_snippet: out && out.body_encoding === 'utf8' && out.body ? redactSnippet(out.body.slice(0, SNIPPET_CHARS * 2), secrets).slice(0, SNIPPET_CHARS) : null,
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

  private async run(id: string, req: ProxyBody, started: number): Promise<ProxyResult> {
    const { guard, http, tokens, metrics } = this.d;
    let rt: RuntimeConnection | undefined;
    let built: ReturnType<typeof buildRequest> | null = null;
    let builtFor = '';
    let retriedAuth = false;
    for (let attempt = 1; ; attempt++) {
      const admitted = await this.admit(id, rt, req.timeout_ms);
      rt = admitted.rt;
      const v = admitted.v;
      if (v.probe) this.breakerSeen(id, 'half_open');
      // The slot is a time, not a delay: the round trip to Redis is already part of the wait.
      if (v.waitMs > 0) await sleep(admitted.slotAt - Date.now());
      if (builtFor !== rt.ver) {
        // An IP literal never reaches the guard's DNS lookup: check it before any request.
        try {
          http.checkHost(new URL(rt.origin).hostname);
        } catch (err) {
          throw new UpstreamError(id, 'ssrf', (err as Error).message, attempt - 1);
        }
        built = buildRequest(rt, req);
        builtFor = rt.ver;
      }
      const headers = { ...built!.headers };
      const query = new URLSearchParams(built!.query);
      applyStaticAuth(rt, headers, query);
      let token: StoredTokens | null = null;
      if (usesTokens(rt.auth)) {
        token = await tokens.accessToken(rt, v.tokAt);
        headers.authorization = `${token.token_type} ${token.access_token}`;
      }
      let path = rt.basePath + req.path;
      let qs = query.toString();
      if (rt.auth.type === 'aws_sigv4') {
        // Signed per attempt (the date is part of the signature), on exactly the bytes sent.
        const pairs = [...query];
        path = awsPath(path);
        qs = awsQuery(pairs);
        const a = rt.auth;
        Object.assign(headers, signSigV4(
          { method: req.method, host: new URL(rt.origin).host, path, query: pairs, headers, payloadHash: payloadHash(built!.body) },
          { credentials: { accessKeyId: a.access_key_id, secretAccessKey: a.secret_access_key, sessionToken: a.session_token }, region: a.region, service: a.service },
        ));
      }
      const timeoutMs = req.timeout_ms ?? rt.config.timeout_ms;
      const r = await http.request({
        origin: rt.origin,
        path: path + (qs ? `?${qs}` : ''),
        method: req.method,
        headers,
        body: built!.body,
        timeoutMs,
        maxResponseBytes: rt.config.max_response_bytes,
      });
      const outcome: AttemptOutcome = r.error ? { kind: 'error', error: r.error.kind } : { kind: 'response', status: r.status!, headers: r.headers };
      const failed = isBreakerFailure(outcome);
      if (failed || v.probe || v.fails > 0) {
        const b = await guard.record(id, !failed, rt.config.breaker.failure_threshold, v.probe);
        this.breakerSeen(id, b.state);
      }
      // A rejected token (revoked early, rotated elsewhere): one forced refresh, then again.
      if (token && r.status === 401 && !retriedAuth && attempt < rt.config.max_attempts) {
        retriedAuth = true;
        await tokens.refreshAfterRejection(rt, token);
        metrics.retries.inc({ connection: id });
        continue;
      }
      const decision = decideRetry({
        attempt,
        maxAttempts: rt.config.max_attempts,
        method: req.method,
        hasIdempotencyKey: req.idempotency_key !== undefined,
        outcome,
        maxWaitMs: rt.config.max_wait_ms,
        now: Date.now(),
        random: this.random(),
      });
      if (!decision.retry) {
        if (!r.error) return passBack(r, attempt, started);
        if (r.error.kind === 'timeout') throw new CallTimeoutError(id, timeoutMs, attempt);
        if (r.error.kind === 'too_large') throw new ResponseTooLargeError(id, r.status ?? 0, rt.config.max_response_bytes);
        throw new UpstreamError(id, r.error.kind, r.error.message, attempt);
      }
      metrics.retries.inc({ connection: id });
      await sleep(decision.delayMs);
    }
  }
}
