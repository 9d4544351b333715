import { describe, expect, it } from 'vitest';
import { backoffMs, BACKOFF_CAP_MS, decideRetry, isBreakerFailure, upstreamWaitMs, type RetryInput } from './policy';

const now = Date.UTC(2026, 0, 1);
const base: RetryInput = { attempt: 1, maxAttempts: 3, method: 'GET', hasIdempotencyKey: false, outcome: { kind: 'response', status: 500, headers: {} }, maxWaitMs: 30_000, now, random: 0.5 };
const res = (status: number, headers: Record<string, string> = {}) => ({ kind: 'response' as const, status, headers });
const err = (error: 'reset' | 'connect' | 'dns' | 'timeout' | 'ssrf' | 'too_large' | 'other') => ({ kind: 'error' as const, error });

describe('connection retry policy', () => {
  it('retries idempotent methods on 5xx, 429, reset and timeout; never 4xx or 501', () => {
    for (const o of [res(500), res(503), res(429), err('reset'), err('timeout')]) expect(decideRetry({ ...base, outcome: o }).retry).toBe(true);
    for (const o of [res(400), res(404), res(501), res(200), err('ssrf'), err('too_large')]) expect(decideRetry({ ...base, outcome: o }).retry).toBe(false);
  });

  it('does not retry a POST that may have reached the upstream, unless it has an idempotency key', () => {
    for (const o of [res(500), res(429), err('reset'), err('timeout')]) {
      expect(decideRetry({ ...base, method: 'POST', outcome: o }).retry).toBe(false);
      expect(decideRetry({ ...base, method: 'POST', hasIdempotencyKey: true, outcome: o }).retry).toBe(true);
    }
    expect(decideRetry({ ...base, method: 'PATCH', outcome: res(502) }).retry).toBe(false);
  });

  it('retries any method when nothing was sent (DNS, connect)', () => {
    expect(decideRetry({ ...base, method: 'POST', outcome: err('connect') }).retry).toBe(true);
    expect(decideRetry({ ...base, method: 'POST', outcome: err('dns') }).retry).toBe(true);
  });

  it('stops when the attempts are used up', () => {
    expect(decideRetry({ ...base, attempt: 3 })).toEqual({ retry: false, reason: 'attempts used up' });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, 0)).toBe(125);
    expect(backoffMs(1, 0.999)).toBeLessThanOrEqual(250);
    expect(backoffMs(3, 0)).toBe(500);
    expect(backoffMs(30, 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffMs(30, 0)).toBe(BACKOFF_CAP_MS / 2);
  });

  it('waits the longest of backoff, Retry-After and reset headers, and gives up past max_wait_ms', () => {
    expect(decideRetry({ ...base, outcome: res(429, { 'retry-after': '2' }) })).toMatchObject({ retry: true, delayMs: 2000 });
    expect(decideRetry({ ...base, outcome: res(429, { 'retry-after': '2', 'x-ratelimit-reset': '5' }) })).toMatchObject({ delayMs: 5000 });
    expect(decideRetry({ ...base, outcome: res(429, { 'x-ratelimit-reset': String(now / 1000 + 7) }) })).toMatchObject({ delayMs: 7000 });
    expect(decideRetry({ ...base, outcome: res(503, { 'ratelimit-reset': '3' }) })).toMatchObject({ delayMs: 3000 });
    expect(decideRetry({ ...base, outcome: res(429, { 'retry-after': '60' }) })).toMatchObject({ retry: false });
    // A 500's Retry-After is not a rate-limit hint.
    expect(decideRetry({ ...base, outcome: res(500, { 'retry-after': '20' }) })).toMatchObject({ retry: true, delayMs: 188 });
  });

  it('reads upstream waits defensively', () => {
    expect(upstreamWaitMs({ 'retry-after': 'soon', 'x-ratelimit-reset': '-1' }, now)).toBe(0);
    expect(upstreamWaitMs({ 'x-ratelimit-reset': String(now / 1000 - 10) }, now)).toBe(0);
    expect(upstreamWaitMs({ 'x-ratelimit-reset-after': '1.5' }, now)).toBe(1500);
  });

  it('counts network errors, timeouts and 5xx as breaker failures; answers and refusals are not', () => {
    expect([err('reset'), err('timeout'), err('connect'), res(500), res(503)].every(isBreakerFailure)).toBe(true);
    expect([res(200), res(404), res(429), err('ssrf'), err('too_large')].some(isBreakerFailure)).toBe(false);
  });
});
