import { parseRetryAfter } from '../delivery/retry-after';
import type { HttpErrorKind } from './http';

/**
 * The one retry policy for outgoing connection calls (pure; unit-tested):
 * - only idempotent methods, or any method with an idempotency key, are retried after the
 *   request may have reached the upstream (reset, timeout, 5xx, 429);
 * - failures before anything was sent (DNS, connect) are retried for every method;
 * - the wait is the longest of: capped exponential backoff with jitter, `Retry-After`, and
 *   rate-limit reset headers; a wait longer than `maxWaitMs` ends the call with what we have.
 */

/** RFC 9110 §9.2.2. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 10_000;

export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string | string[]> }
  | { kind: 'error'; error: HttpErrorKind };

export interface RetryInput {
  /** 1-based number of the attempt that just ended. */
  attempt: number;
  maxAttempts: number;
  method: string;
  hasIdempotencyKey: boolean;
  outcome: AttemptOutcome;
  maxWaitMs: number;
  now: number;
  /** [0, 1). */
  random: number;
}

export type RetryDecision = { retry: true; delayMs: number; reason: string } | { retry: false; reason: string };

/** Whether the upstream counts this attempt as a failure for the circuit breaker. */
export function isBreakerFailure(o: AttemptOutcome): boolean {
  if (o.kind === 'error') return o.error !== 'ssrf' && o.error !== 'too_large';
  return o.status >= 500;
}

function retryable(o: AttemptOutcome, safe: boolean): string | null {
  if (o.kind === 'error') {
    if (o.error === 'dns' || o.error === 'connect') return o.error;
    if (o.error === 'reset' || o.error === 'timeout' || o.error === 'other') return safe ? o.error : null;
    return null;
  }
  if (o.status === 429 || (o.status >= 500 && o.status !== 501 && o.status !== 505)) return safe ? `status ${o.status}` : null;
  return null;
}

/** Full-jitter exponential backoff: uniform in [cap/2, cap] of `base·2^(n-1)`, capped. */
export function backoffMs(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Waits the upstream asked for, in ms: `Retry-After` and the reset headers in use
 * (`RateLimit-Reset` / `X-RateLimit-Reset` as delta seconds or, when large, epoch seconds;
 * `X-RateLimit-Reset-After` seconds). Longest wins; garbage and the past are ignored.
 */
export function upstreamWaitMs(headers: Record<string, string | string[]>, now: number): number {
  let wait = parseRetryAfter(first(headers['retry-after']), now) ?? 0;
  for (const name of ['ratelimit-reset', 'x-ratelimit-reset', 'x-rate-limit-reset', 'x-ratelimit-reset-after']) {
    const v = first(headers[name])?.trim();
    if (!v || !/^\d+(\.\d+)?$/.test(v)) continue;
    const n = Number(v);
    // Epoch seconds (GitHub, Twitter) are far larger than any sensible delta.
    const ms = n > 1e9 ? n * 1000 - now : n * 1000;
    if (ms > wait) wait = ms;
  }
  return Math.max(0, Math.ceil(wait));
}

export function decideRetry(i: RetryInput): RetryDecision {
  const safe = IDEMPOTENT.has(i.method) || i.hasIdempotencyKey;
  const why = retryable(i.outcome, safe);
  if (why === null) return { retry: false, reason: 'not retryable' };
  if (i.attempt >= i.maxAttempts) return { retry: false, reason: 'attempts used up' };
  let delay = backoffMs(i.attempt, i.random);
  if (i.outcome.kind === 'response' && (i.outcome.status === 429 || i.outcome.status === 503)) {
    delay = Math.max(delay, upstreamWaitMs(i.outcome.headers, i.now));
  }
  if (delay > i.maxWaitMs) return { retry: false, reason: `upstream asks to wait ${delay} ms, over max_wait_ms` };
  return { retry: true, delayMs: delay, reason: why };
}
