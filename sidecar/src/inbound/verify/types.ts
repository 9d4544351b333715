import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { CertStore } from './certs';

/** One request as the provider sent it: the exact bytes and the lower-cased headers. */
export interface InboundRequest {
  body: Buffer;
  headers: IncomingHttpHeaders;
  /** Unix seconds at receipt (injectable so tests can check freshness windows). */
  nowS: number;
}

export interface VerifiedEvent {
  provider_event_id: string;
  type: string;
  /** What Frappe receives as the payload; absent ⇒ the raw body itself (no re-serialisation). */
  payload?: string;
}

export interface Verification {
  events: VerifiedEvent[];
  /**
   * A one-time value (Mailgun's token) the store must mark as used in the same atomic step as
   * the events; a second request carrying it is a replay and is refused.
   */
  replayToken?: { value: string; ttlS: number };
}

export type Verify = (req: InboundRequest) => Verification | Promise<Verification>;

/** Injected collaborators: production defaults live in `index.ts`, tests pass their own. */
export interface VerifyDeps {
  certs: CertStore;
  /** Used for SNS SubscribeURL confirmation. */
  fetch: typeof fetch;
  /** Host names SNS certificates and confirmation URLs may come from. */
  snsHost: RegExp;
}

/**
 * A provider: its PUT schema (one member of the discriminated union), the content types it
 * posts (null ⇒ not checked), and `compile`, which turns a stored config into a verify
 * function once per config version so keys are decoded off the hot path.
 */
export interface Provider<S extends z.ZodObject = z.ZodObject> {
  name: string;
  schema: S;
  contentTypes: readonly string[] | null;
  compile(config: z.infer<S>, deps: VerifyDeps): Verify;
}
