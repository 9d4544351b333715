/**
 * Redis keys of the inbound domain. All share the `{inbound}` hash tag so the multi-key Lua
 * scripts stay valid on Redis Cluster (one slot; inbound traffic is one stream anyway).
 * Slugs cannot contain ':', so `<slug>:<provider event id>` never collides across endpoints.
 */
export function inboundKeys(prefix: string) {
  const base = `${prefix}:{inbound}`;
  return {
    /** HASH config (JSON; its `secret` sealed), ver, created_at, updated_at, accepted, rejected, duplicates. */
    endpoint: (slug: string) => `${base}:ep:${slug}`,
    /** STRING sidecar id of the first copy of a provider event (dedup mark, with TTL). */
    seen: (slug: string, providerEventId: string) => `${base}:seen:${slug}:${providerEventId}`,
    /** STRING marking a single-use token (Mailgun) as spent. */
    token: (slug: string, token: string) => `${base}:token:${slug}:${token}`,
    /** STREAM of accepted events not yet taken by Frappe; consumer group `forwarder`. */
    stream: `${base}:events`,
    /** LIST of the newest sidecar ids per endpoint, for the events API. */
    recent: (slug: string) => `${base}:recent:${slug}`,
    /** HASH sidecar id → JSON [provider_event_id, type, received_at_ms] for ids in `recent`. */
    meta: (slug: string) => `${base}:meta:${slug}`,
    /** HASH sidecar id → "forwarded" | "rejected" (Frappe's answer) for ids in `recent`. */
    outcome: (slug: string) => `${base}:outcome:${slug}`,
    /** STREAM (capped) of events Frappe refused for good, with the reason. */
    dead: `${base}:rejected`,
  };
}

export type InboundKeys = ReturnType<typeof inboundKeys>;

export const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
