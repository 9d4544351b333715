import { z } from 'zod';
import { Id } from '../delivery/schemas';
import { FIELD_PATH_RE } from './json-path';

/** Inputs of the streams API (DESIGN §3 "Streams", sidecar/README.md "Streams"), all `.strict()`. */

export const StreamId = Id;

const Sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest in hex (64 characters)').transform((s) => s.toLowerCase());

/**
 * A consumer's filter: only events whose data has `equals` at the dot path `field` (compared as
 * text, so 42 and "42" match) reach it, e.g. `{field: "customer", equals: "CUST-0001"}`.
 */
export const TokenFilter = z
  .object({
    field: z.string().max(200).regex(FIELD_PATH_RE, 'must be a dot path such as customer or data.customer'),
    equals: z.union([z.string().max(1000), z.number(), z.boolean()]),
  })
  .strict();
export type TokenFilter = z.infer<typeof TokenFilter>;

/** A token's hash, bare or with an expiry and a filter; a token is revoked by leaving its hash out of the next PUT. */
const TokenHash = z.union([
  Sha256Hex.transform((hash) => ({ hash, expires_at: null as string | null }) as { hash: string; expires_at: string | null; filter?: TokenFilter }),
  z
    .object({ hash: Sha256Hex, expires_at: z.iso.datetime({ offset: true }).nullable().optional(), filter: TokenFilter.nullable().optional() })
    .strict()
    // Without a filter the entry stays {hash, expires_at}: what a PUT answers and stores.
    .transform((t) => ({ hash: t.hash, expires_at: t.expires_at ?? null, ...(t.filter ? { filter: t.filter } : {}) })),
]);

const Origin = z.union([
  z.literal('*'),
  z.string().max(255).refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://app.example.com (scheme, host and port only) or "*"'),
]);

/** Retention defaults: the newest 10,000 events, no age limit. */
export const DEFAULT_MAX_LEN = 10_000;

export const StreamInput = z
  .object({
    token_hashes: z.array(TokenHash).max(1000),
    /** Events kept at least (trimmed approximately, by whole Redis stream nodes). */
    max_len: z.number().int().min(1).max(10_000_000).default(DEFAULT_MAX_LEN),
    /** Events older than this are trimmed; null keeps them (max_len still applies). */
    max_age_s: z.number().int().min(1).max(365 * 86400).nullable().default(null),
    cors_origins: z.array(Origin).max(50).default([]),
  })
  .strict();

export type StreamInput = z.infer<typeof StreamInput>;

/** One event's `data` as JSON text: bounded so a subscriber's buffer bound stays meaningful. */
export const MAX_EVENT_BYTES = 256 * 1024;
export const MAX_EVENTS_PER_CALL = 1000;

export const EventInput = z
  .object({
    /** Idempotency key: the same id again (within the dedup TTL) returns the first event's id. */
    id: Id.optional(),
    type: z.string().min(1).max(200).regex(/^[^\r\n]*$/, 'no line breaks'),
    data: z.unknown().refine((v) => v !== undefined, 'data is required'),
  })
  .strict();

export type EventInput = z.infer<typeof EventInput>;

export const PostEventsBody = z.object({ events: z.array(EventInput).min(1).max(MAX_EVENTS_PER_CALL) }).strict();

/** A Redis stream id (`ms-seq`, or `ms` alone) as SSE `Last-Event-ID` / `?last_event_id=` carry it. */
export const EventId = z
  .string()
  .regex(/^\d{1,20}(-\d{1,20})?$/, 'must be an event id the stream sent (ms-seq)')
  // Leading zeros dropped: ids compare by digit count first (ids.ts).
  .transform((s) => (s.includes('-') ? s : `${s}-0`).split('-').map((p) => String(BigInt(p))).join('-'));

export const SubscribeQuery = z
  .object({
    token: z.string().min(1).max(1024).optional(),
    last_event_id: EventId.optional(),
  })
  .strict();
