import { deriveKey } from './idempotency';
import type { CallContext } from './types';

/**
 * Email and SMS APIs (SendGrid, Mailgun, SES, Twilio) take no idempotency key, so the proxy
 * only retries a send (429, 5xx, a timeout) when the caller gave one: with a key the caller
 * accepts at-least-once delivery (a 5xx may hide an accepted message); without, a send is made
 * once and a failure is reported as it is. The derived key also goes with the request, where a
 * gateway in between can dedupe on it.
 */
export function retryWithKey(ctx: CallContext, step: string): { idempotency_key?: string } {
  return ctx.idempotencyKey ? { idempotency_key: deriveKey(ctx.idempotencyKey, step) } : {};
}

/** A response header's single value. */
export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
