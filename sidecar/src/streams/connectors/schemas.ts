import { z } from 'zod';
import { ConnectionId } from '../../connections/schemas';
import { Id } from '../../delivery/schemas';
import { SLUG_PATTERN } from '../../inbound/keys';
import { FIELD_PATH_RE } from '../json-path';

/** Input of `PUT /v1/stream-connectors/{id}` (sidecar/README.md "Stream connectors"). */

export const ConnectorId = Id;

/** A dot path into the event's JSON data: `id`, `data.object.id`. */
const FieldPath = z.string().max(200).regex(FIELD_PATH_RE, 'must be a dot path such as id or data.object.id');

const SCHEMES = { sse: ['http:', 'https:'], ws: ['ws:', 'wss:'] } as const;

export const ConnectorInput = z
  .object({
    url: z.string().max(2048),
    transport: z.enum(['sse', 'ws']),
    /** The Integration Inbound Endpoint whose handlers and log the events join. */
    inbound_endpoint: z.string().regex(SLUG_PATTERN, 'must be an inbound endpoint slug'),
    /** A connection whose auth (headers, API key, OAuth token) each connect carries. */
    connection_id: ConnectionId.nullable().default(null),
    /** Where the event id is in the data; null: the SSE `id:` line (required for WebSocket). */
    event_id_field: FieldPath.nullable().default(null),
    /** Where the event type is in the data; null: the SSE `event:` name ("message" on WebSocket). */
    event_type_field: FieldPath.nullable().default(null),
    /** WebSocket only: the query parameter that carries the last event id on a reconnect. */
    resume_param: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a query parameter name').nullable().default(null),
    enabled: z.boolean().default(true),
    min_backoff_ms: z.number().int().min(100).max(60_000).default(1000),
    max_backoff_ms: z.number().int().min(1000).max(3_600_000).default(60_000),
    /** Nothing received (event, comment, pong) for this long: the connection is presumed dead. */
    idle_timeout_s: z.number().int().min(5).max(3600).default(90),
  })
  .strict()
  .superRefine((c, ctx) => {
    let u: URL | null = null;
    try {
      u = new URL(c.url);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be an absolute URL' });
    }
    if (u) {
      const allowed: readonly string[] = SCHEMES[c.transport];
      if (!allowed.includes(u.protocol)) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${c.transport} source's URL starts with ${allowed.join(' or ')}//` });
      if (u.username || u.password) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must not carry credentials: use a connection' });
      if (u.hash) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must not have a #fragment' });
    }
    if (c.transport === 'ws' && !c.event_id_field) ctx.addIssue({ code: 'custom', path: ['event_id_field'], message: 'is required for a WebSocket source (WebSocket messages have no id of their own)' });
    if (c.transport === 'sse' && c.resume_param) ctx.addIssue({ code: 'custom', path: ['resume_param'], message: 'is for WebSocket sources; SSE resumes with Last-Event-ID' });
    if (c.min_backoff_ms > c.max_backoff_ms) ctx.addIssue({ code: 'custom', path: ['max_backoff_ms'], message: 'must be at least min_backoff_ms' });
  });

export type ConnectorInput = z.infer<typeof ConnectorInput>;
