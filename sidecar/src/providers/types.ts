import type { z } from 'zod';
import type { Readable } from 'node:stream';
import type { PartPlan } from './storage/parts';
import type { ProxyResult, RawRequest, RawResult, StreamedResult } from '../connections/proxy';
import type { Auth, ProxyBody } from '../connections/schemas';

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
  /** The same with a byte body (replayable) and the answer's bytes, e.g. an object's part. */
  raw(req: RawRequest): Promise<RawResult>;
  /** The same with the answer's body streamed (downloads); read it to its end or destroy it. */
  stream(req: RawRequest): Promise<StreamedResult>;
  /**
   * Where the connection points and its credentials, for what is signed locally without a
   * request (presigned and SAS URLs). Never returned to a caller.
   */
  target(): Promise<ConnectionTarget>;
}

export interface ConnectionTarget {
  /** `https://host[:port]` */
  origin: string;
  /** The base URL's path without its trailing slash (a bucket or container, for storage). */
  basePath: string;
  auth: Auth;
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
  /** Storage providers: streamed uploads and downloads (`/v1/connections/{id}/objects/{key}`). */
  readonly objects?: ObjectStreams;
}

/** Declares an operation with its params type inferred from the schema. */
export const operation = <S extends z.ZodType, R>(op: Operation<S, R>): Operation<S, R> => op;

/** What a streamed upload stored. */
export interface Uploaded {
  key: string;
  size: number;
  etag: string | null;
  /** 1 for a single request; the number of parts (blocks) otherwise. */
  parts: number;
}

/** How an upload is to be sent: its part plan, its type, and where a body may be kept on disk (UPLOAD_SPOOL_DIR; null: nowhere). */
export interface UploadPlan extends PartPlan {
  contentType: string;
  spoolDir: string | null;
}

/**
 * A storage provider's streaming side (`PUT`/`GET /v1/connections/{id}/objects/{key}`): bodies
 * of any size pass through in parts, never whole.
 */
export interface ObjectStreams {
  /**
   * Stores `body` under `key`. Up to one part it is one request; above, the provider's
   * multipart form, aborted (parts deleted) if anything fails on the way.
   */
  upload(ctx: CallContext, key: string, body: Readable, opts: UploadPlan): Promise<Uploaded>;
  /** The object's bytes as the provider answers them (status, headers, body streamed). */
  download(ctx: CallContext, key: string, opts: { range?: string }): Promise<StreamedResult>;
}
