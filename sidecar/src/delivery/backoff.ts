/**
 * Retry timing as pure functions of the endpoint's schedule (no clock, no randomness of their
 * own: callers pass them in, so tests are exact).
 */

/** ±20% jitter (Svix, Standard Webhooks) so retries of a burst do not arrive together. */
export const JITTER = 0.2;

/** Retry-After is honoured up to this bound; beyond it the receiver's wish is capped. */
export const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * Delay before the retry that follows attempt `attempt` (1-based), or null when the schedule
 * is exhausted. `rand` is uniform in [0, 1).
 */
export function scheduledDelayMs(schedule: readonly number[], attempt: number, rand: number): number | null {
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * 1000 * (1 - JITTER + 2 * JITTER * rand));
}

/** A receiver's Retry-After lengthens the scheduled delay, never shortens it, and is capped. */
export function withRetryAfter(scheduledMs: number, retryAfterMs: number | null): number {
  if (retryAfterMs === null || retryAfterMs <= scheduledMs) return scheduledMs;
  return Math.max(scheduledMs, Math.min(retryAfterMs, RETRY_AFTER_MAX_MS));
}
