import { scheduledDelayMs, withRetryAfter } from './backoff';
import type { SendResult } from './send';

/**
 * What one attempt's result means for its message and endpoint (DESIGN §3, Standard
 * Webhooks §4.1 in REFERENCE): pure, so every rule is unit-tested.
 */
export type Decision =
  | { status: 'succeeded'; error: null }
  | { status: 'retrying'; delayMs: number; error: string | null }
  | { status: 'failed'; error: string | null; disableReason?: string };

export interface DecideInput {
  result: SendResult;
  /** The attempt just made, 1-based. */
  attempt: number;
  schedule: readonly number[];
  rand: number;
}

/** Statuses whose Retry-After is honoured (throttling and temporary unavailability). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** Errors that no retry can fix: the URL is refused or unusable. */
const PERMANENT_ERRORS = new Set(['ssrf', 'invalid_url']);

export function describeError(result: SendResult): string | null {
  if (result.error) return `${result.error.kind}: ${result.error.message}`;
  const code = result.statusCode;
  if (code !== null && code >= 300 && code < 400) return `redirect ${code} not followed`;
  return null;
}

export function decide({ result, attempt, schedule, rand }: DecideInput): Decision {
  const code = result.statusCode;
  if (!result.error && code !== null && code >= 200 && code < 300) return { status: 'succeeded', error: null };
  const error = describeError(result);
  if (result.error && PERMANENT_ERRORS.has(result.error.kind)) return { status: 'failed', error };
  if (code === 410) return { status: 'failed', error, disableReason: 'receiver answered 410 Gone' };
  const scheduled = scheduledDelayMs(schedule, attempt, rand);
  if (scheduled === null) return { status: 'failed', error };
  const delayMs = code !== null && RETRY_AFTER_STATUSES.has(code) ? withRetryAfter(scheduled, result.retryAfterMs) : scheduled;
  return { status: 'retrying', delayMs, error };
}
