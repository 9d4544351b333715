import { createHash } from 'node:crypto';

/**
 * One operation can make several POSTs (create a customer, then a payment): each needs its own
 * idempotency key, stable across retries of the operation. Derived from the caller's key and the
 * step's name, so the same (key, step) always gives the same key and different steps never collide.
 */
export function deriveKey(base: string, step: string): string {
  return createHash('sha256').update(base).update('\0').update(step).digest('base64url').slice(0, 43);
}
