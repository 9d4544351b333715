import type { z } from 'zod';
import type { ProxyResult } from '../connections/proxy';
import type { ProxyBody } from '../connections/schemas';

/**
 * A provider is a typed client of one third-party API (Stripe, SendGrid, S3…), written as named
 * operations on top of a connection. Every HTTP request an operation makes goes through
 * `ctx.request`, i.e. the connection's proxy: auth, timeouts, retries, the shared rate limit,
 * the circuit breaker, the SSRF guard and the call log stay in charge, whatever the provider.
 */

export type ProviderArea = 'payments' | 'email' | 'sms' | 'storage';

export interface CallContext {
  readonly connectionId: string;
  /** The connection's sandbox flag: providers with test endpoints or keys pick them with it. */
  readonly sandbox: boolean;
  /**
   * The caller's key for this operation, if any. Operations that POST derive each request's
   * idempotency key from it (`deriveKey`), so a retried operation is charged once.
   */
  readonly idempotencyKey: string | undefined;
  /** One request under the connection's policy; any upstream status is a result. */
  request(req: ProxyBody): Promise<ProxyResult>;
  /**
   * Hex HMAC-SHA256 of `message` keyed with the connection's own API secret (the Basic auth
   * password, bearer token or API key value), for checkout signatures made with it (Razorpay's
   * `order_id|payment_id`). The secret never leaves the sidecar; throws `invalid_request` when
   * the connection's auth has none.
   */
  hmacWithSecret(message: string): string;
}

export interface Operation<S extends z.ZodType = z.ZodType, R = unknown> {
  /** One line for the desk and the docs. */
  readonly summary: string;
  /** zod schema of `params` (`.strict()`: a misspelt field is a 400). */
  readonly params: S;
  run(ctx: CallContext, params: z.infer<S>): Promise<R>;
}

export interface Provider {
  /** The id a connection names in its `provider` field, e.g. `stripe`. */
  readonly name: string;
  readonly area: ProviderArea;
  readonly title: string;
  readonly operations: Readonly<Record<string, Operation<any, unknown>>>;
}

/** Declares an operation with its params type inferred from the schema. */
export const operation = <S extends z.ZodType, R>(op: Operation<S, R>): Operation<S, R> => op;
