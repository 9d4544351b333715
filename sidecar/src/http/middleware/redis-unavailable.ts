import type { ErrorRequestHandler } from 'express';
import { AppError } from '../../errors';
import { isRedisUnavailable } from '../../queues/redis-errors';

/** Clients come back after this; a failover or a restarted Redis takes a few seconds. */
export const REDIS_RETRY_AFTER_S = 5;

/**
 * Every route that needs Redis: while it is unreachable (or a write could not reach its
 * replicas) the answer is 503 `unavailable` with Retry-After, never 500. The Redis connections
 * fail at once rather than queueing, so this comes in well under a second.
 */
export function withRedisUnavailable(err: unknown): unknown {
  // An AppError is already classified: an upstream's `ECONNRESET` in its message is not Redis's.
  if (err instanceof AppError) return err;
  return isRedisUnavailable(err) ? new AppError('unavailable', 'Redis is unavailable; retry later.', undefined, REDIS_RETRY_AFTER_S) : err;
}

/** {@link withRedisUnavailable} as Express error middleware. */
export const redisUnavailable: ErrorRequestHandler = (err: unknown, _req, _res, next) => next(withRedisUnavailable(err));
