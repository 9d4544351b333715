import { z } from 'zod';
import { OverDeepItem } from '../http/json';
import { InvalidSecretError, parseSecret } from './sign';

/**
 * Every input the outbound API takes, validated with `.strict()` so a misspelt field is a 400,
 * not a silently ignored option (DESIGN §3, docs/api.md).
 */

/**
 * Endpoint and message ids: safe in Redis keys and BullMQ job ids (no `:`), URLs and logs.
 * Not `.` or `..`: HTTP clients resolve those path segments, so such an id could never be
 * read or deleted again.
 */
export const Id = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'use 1–128 of A–Z a–z 0–9 _ . -')
  .refine((s) => s !== '.' && s !== '..', 'cannot be "." or ".."');

/** Standard Webhooks' example schedule: immediately, then 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h. */
export const DEFAULT_RETRY_SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Headers the engine sets itself; an endpoint may not override them. */
const RESERVED_HEADERS = new Set([
  'content-type', 'content-length', 'host', 'user-agent', 'connection', 'transfer-encoding',
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-frappe-webhook-signature',
]);

const HttpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials');

/**
 * What HTTP can carry in a field value (RFC 9110 §5.5: visible ASCII, space, tab, and bytes
 * 0x80–0xFF, which go out as Latin-1) and undici will send. Anything else (NUL, DEL, CR/LF,
 * characters above U+00FF) would fail every attempt until the endpoint is auto-disabled.
 */
const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'header values may hold only visible ASCII, spaces, tabs and Latin-1 characters (no NUL, DEL, CR, LF or characters above U+00FF)');

const Secret = z.union([
  z.string().min(1).max(256),
  z.object({ value: z.string().min(1).max(256), expires_at: z.iso.datetime({ offset: true }) }).strict(),
]);

export const EndpointInput = z
  .object({
    url: HttpUrl,
    secrets: z.array(Secret).max(10).default([]),
    signing: z.enum(['standard', 'frappe', 'none']).default('standard'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'not a header name'), HeaderValue)
      .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
      .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), 'a reserved header cannot be set')
      .default({}),
    event_types: z.array(z.string().min(1).max(200)).max(500).nullable().default(null),
    timeout_ms: z.number().int().min(100).max(60_000).default(DEFAULT_TIMEOUT_MS),
    retry_schedule_s: z.array(z.number().int().min(0).max(7 * 86400)).max(20).default([...DEFAULT_RETRY_SCHEDULE_S]),
    rate_limit_per_s: z.number().positive().max(10_000).nullable().default(null),
    max_in_flight: z.number().int().min(1).max(10_000).nullable().default(null),
    ordered: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((ep, ctx) => {
    const secrets = ep.secrets.map((s) => (typeof s === 'string' ? { value: s, expires_at: null } : s));
    if (ep.signing !== 'none' && !secrets.some((s) => s.expires_at === null || Date.parse(s.expires_at) > Date.now())) {
      ctx.addIssue({ code: 'custom', path: ['secrets'], message: `signing "${ep.signing}" needs at least one unexpired secret` });
    }
    if (ep.signing === 'standard') {
      secrets.forEach((s, i) => {
        try {
          parseSecret(s.value);
        } catch (err) {
          if (!(err instanceof InvalidSecretError)) throw err;
          ctx.addIssue({ code: 'custom', path: ['secrets', i], message: err.message });
        }
      });
    }
  });

export type EndpointInput = z.infer<typeof EndpointInput>;

/**
 * A message for an outbound endpoint (`endpoint_id`), a stream (`stream_id`) or a sync profile
 * (`sync_profile_id`): exactly one of the three. A stream message is appended to that stream's
 * history once (docs/api.md); a sync message names a local record to push (docs/sync.md §5).
 */
export const MessageInput = z
  .object({
    id: Id,
    endpoint_id: Id.optional(),
    stream_id: Id.optional(),
    sync_profile_id: z.string().min(1).max(140).optional(),
    // No line breaks: the type is an SSE `event:` line for stream messages.
    event_type: z.string().min(1).max(200).regex(/^[^\r\n]*$/, 'no line breaks'),
    payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
    timestamp: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((m) => [m.endpoint_id, m.stream_id, m.sync_profile_id].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of endpoint_id, stream_id and sync_profile_id',
    path: ['endpoint_id'],
  });

export type MessageInput = z.infer<typeof MessageInput>;
export type EndpointMessage = MessageInput & { endpoint_id: string; stream_id?: undefined; sync_profile_id?: undefined };
export type StreamMessage = MessageInput & { stream_id: string; endpoint_id?: undefined; sync_profile_id?: undefined };
export type SyncMessage = MessageInput & { sync_profile_id: string; endpoint_id?: undefined; stream_id?: undefined };

export const MAX_MESSAGES_PER_CALL = 1000;

/** A message the body parser cut out for nesting deeper than MAX_JSON_DEPTH: rejected on its own. */
export const OverDeepMessage = z
  .instanceof(OverDeepItem)
  .transform((m) => m.id)
  .pipe(Id)
  .transform((id) => ({ id, overDeep: true as const }));

export type OverDeepMessage = z.infer<typeof OverDeepMessage>;

export const PostMessagesBody = z
  .object({ messages: z.array(z.union([MessageInput, OverDeepMessage])).min(1).max(MAX_MESSAGES_PER_CALL) })
  .strict();
export const LookupBody = z.object({ ids: z.array(Id).min(1).max(MAX_MESSAGES_PER_CALL) }).strict();
export const RecoverBody = z
  .object({ since: z.iso.datetime({ offset: true }), until: z.iso.datetime({ offset: true }).optional() })
  .strict();

export const MESSAGE_STATUSES = ['pending', 'sending', 'succeeded', 'retrying', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const ListMessagesQuery = z
  .object({
    status: z.enum(MESSAGE_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();
