import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import { isRedisUnavailable } from '../queues/redis-errors';

/**
 * Where each event goes: a DocType room, which Frappe's socket.io server lets a client join only
 * after `can_subscribe_doctype` (read permission) — so delivery errors and request headers reach
 * the people allowed to read those logs, not every System User (room `all`). The SPA subscribes
 * to exactly these rooms.
 */
export const REALTIME_ROOMS = {
  integrations_delivery: 'doctype:Integration Webhook Delivery',
  integrations_endpoint_disabled: 'doctype:Integration Webhook',
  integrations_inbound: 'doctype:Integration Inbound Event',
  integrations_sync_progress: 'doctype:Integration Sync Profile',
  integrations_sync_conflict: 'doctype:Integration Sync Profile',
} as const;

export type RealtimeEvent = keyof typeof REALTIME_ROOMS;

/**
 * Publishes Frappe-format realtime messages on the site's `events` channel, where Frappe's
 * own socket.io server relays them to desk (DESIGN §1). Items are buffered per event and
 * flushed every `flushMs` as `{items:[…]}` so a burst of deliveries costs one publish.
 */
export class Realtime {
  private readonly buffers = new Map<RealtimeEvent, unknown[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis | null,
    private readonly site: string,
    private readonly log: Logger,
    private readonly flushMs = 250,
    private readonly maxItems = 500,
  ) {}

  get enabled(): boolean {
    return this.redis !== null;
  }

  publish(event: RealtimeEvent, item: unknown): void {
    if (!this.redis) return;
    const buf = this.buffers.get(event) ?? [];
    if (buf.length < this.maxItems) buf.push(item);
    this.buffers.set(event, buf);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  async flush(): Promise<void> {
    this.timer = null;
    if (!this.redis) return;
    const batches = [...this.buffers.entries()];
    this.buffers.clear();
    for (const [event, items] of batches) {
      const payload = JSON.stringify({ event, message: { items }, room: REALTIME_ROOMS[event], namespace: this.site });
      // Realtime is a convenience: desk reloads truth from the DocTypes, so a lost publish is only logged.
      // An outage of Frappe's Redis is logged once by its connection group, not on every flush.
      await this.redis
        .publish('events', payload)
        .catch((err: Error) => this.log[isRedisUnavailable(err) ? 'debug' : 'warn']({ err: err.message }, 'realtime publish failed'));
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }
}
