import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially from initialMs, capped at maxMs', () => {
    const none = { jitter: 0, initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, none))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters downwards by the given share', () => {
    expect(backoffDelay(3, { initialMs: 100, jitter: 0.5 }, () => 0)).toBe(400);
    expect(backoffDelay(3, { initialMs: 100, jitter: 0.5 }, () => 1)).toBe(200);
    expect(backoffDelay(3, { initialMs: 100, jitter: 1 }, () => 0.75)).toBe(100);
  });
});
