import { describe, expect, it } from 'vitest';
import { RETRY_AFTER_MAX_MS, scheduledDelayMs, withRetryAfter } from './backoff';
import { decide } from './policy';
import type { SendResult } from './send';

const res = (over: Partial<SendResult>): SendResult => ({ statusCode: null, durationMs: 5, responseBody: null, retryAfterMs: null, error: null, ...over });
const schedule = [5, 300, 1800];

describe('backoff', () => {
  it('jitters ±20% around the scheduled delay', () => {
    expect(scheduledDelayMs(schedule, 1, 0)).toBe(4000);
    expect(scheduledDelayMs(schedule, 1, 0.5)).toBe(5000);
    expect(scheduledDelayMs(schedule, 1, 0.999999)).toBe(6000);
    expect(scheduledDelayMs(schedule, 2, 0.5)).toBe(300_000);
    expect(scheduledDelayMs([0], 1, 0.9)).toBe(0);
  });
  it('returns null once the schedule is exhausted', () => {
    expect(scheduledDelayMs(schedule, 4, 0.5)).toBeNull();
    expect(scheduledDelayMs([], 1, 0.5)).toBeNull();
  });
  it('lets Retry-After lengthen but never shorten the delay, within the cap', () => {
    expect(withRetryAfter(5000, null)).toBe(5000);
    expect(withRetryAfter(5000, 1000)).toBe(5000);
    expect(withRetryAfter(5000, 60_000)).toBe(60_000);
    expect(withRetryAfter(5000, 10 * RETRY_AFTER_MAX_MS)).toBe(RETRY_AFTER_MAX_MS);
    expect(withRetryAfter(2 * RETRY_AFTER_MAX_MS, 3 * RETRY_AFTER_MAX_MS)).toBe(2 * RETRY_AFTER_MAX_MS);
  });
});

describe('decide', () => {
  const base = { attempt: 1, schedule, rand: 0.5 };
  it('2xx only is success', () => {
    for (const code of [200, 201, 204, 299]) expect(decide({ ...base, result: res({ statusCode: code }) }).status).toBe('succeeded');
  });
  it('retries 3xx (not followed), 4xx, 5xx, timeouts and network errors on the schedule', () => {
    for (const r of [
      res({ statusCode: 302 }), res({ statusCode: 400 }), res({ statusCode: 404 }), res({ statusCode: 500 }),
      res({ error: { kind: 'timeout', message: 't' } }), res({ error: { kind: 'reset', message: 'r' } }),
      res({ error: { kind: 'dns', message: 'd' } }), res({ error: { kind: 'connect', message: 'c' } }),
    ]) {
      expect(decide({ ...base, result: r })).toMatchObject({ status: 'retrying', delayMs: 5000 });
    }
    expect(decide({ ...base, result: res({ statusCode: 302 }) }).error).toBe('redirect 302 not followed');
    expect(decide({ ...base, result: res({ error: { kind: 'timeout', message: 'late' } }) }).error).toBe('timeout: late');
  });
  it('fails once the schedule is exhausted', () => {
    expect(decide({ ...base, attempt: 4, result: res({ statusCode: 500 }) })).toEqual({ status: 'failed', error: null });
    expect(decide({ ...base, attempt: 1, schedule: [], result: res({ statusCode: 500 }) }).status).toBe('failed');
  });
  it('fails SSRF refusals and unusable URLs at once, without retries', () => {
    expect(decide({ ...base, result: res({ error: { kind: 'ssrf', message: 'private address' } }) })).toEqual({ status: 'failed', error: 'ssrf: private address' });
    expect(decide({ ...base, result: res({ error: { kind: 'invalid_url', message: 'bad' } }) }).status).toBe('failed');
  });
  it('410 Gone fails the message and disables the endpoint', () => {
    expect(decide({ ...base, result: res({ statusCode: 410 }) })).toEqual({ status: 'failed', error: null, disableReason: 'receiver answered 410 Gone' });
  });
  it('honours Retry-After on 429 and 503 only', () => {
    expect(decide({ ...base, result: res({ statusCode: 429, retryAfterMs: 120_000 }) })).toMatchObject({ status: 'retrying', delayMs: 120_000 });
    expect(decide({ ...base, result: res({ statusCode: 503, retryAfterMs: 60_000 }) })).toMatchObject({ delayMs: 60_000 });
    expect(decide({ ...base, result: res({ statusCode: 500, retryAfterMs: 60_000 }) })).toMatchObject({ delayMs: 5000 });
    expect(decide({ ...base, result: res({ statusCode: 429, retryAfterMs: 1000 }) })).toMatchObject({ delayMs: 5000 });
  });
});
