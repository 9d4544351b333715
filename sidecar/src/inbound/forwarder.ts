import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { FrappeClient } from '../frappe/client';
import type { Realtime } from '../frappe/realtime';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisConnections } from '../queues/connection';
import { isNoGroup, isRedisUnavailable } from '../queues/redis-errors';
import type { InboundKeys } from './keys';
import type { EventStore } from './store';

const FRAPPE_METHOD = 'integrations_app.api.sidecar.receive_inbound_events';
export const GROUP = 'forwarder';

export interface ForwarderOptions {
  /** Events per Frappe call. @defaultValue 100 */
  batchSize?: number;
  /** Payload bytes per call; a single larger event still goes alone. @defaultValue 4 MiB */
  maxBatchBytes?: number;
  /** First retry delay. @defaultValue 500 */
  minBackoffMs?: number;
  /** Longest wait between retries. @defaultValue 30000 */
  maxBackoffMs?: number;
  /** An event pending this long under another consumer is presumed orphaned and claimed. @defaultValue 60000 */
  claimIdleMs?: number;
  /** How long one read waits for new events. @defaultValue 2000 */
  blockMs?: number;
}

export interface ForwarderDeps {
  redis: Redis;
  connections: RedisConnections;
  keys: InboundKeys;
  store: EventStore;
  frappe: FrappeClient;
  realtime: Realtime;
  metrics: Metrics;
  log: Logger;
}

interface Entry {
  id: string;
  fields: Record<string, string>;
}

/** docs/api.md's reply, plus `rejected`: events Frappe refuses for good (unknown endpoint, invalid). */
const Reply = z.object({
  accepted: z.array(z.string()),
  duplicates: z.array(z.string()),
  rejected: z.array(z.object({ sidecar_id: z.string(), code: z.string().optional(), message: z.string().optional() })).default([]),
});

/** Capped exponential backoff with ±20% jitter: a pure function of the failure count. */
export function backoffMs(failures: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

function toEntries(raw: unknown): Entry[] {
  return ((raw ?? []) as [string, string[] | null][])
    .filter(([, f]) => f !== null)
    .map(([id, f]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i < f!.length; i += 2) fields[f![i]!] = f![i + 1]!;
      return { id, fields };
    });
}

/**
 * Hands stored events to Frappe in stream order. A Redis consumer group makes each event
 * owned by one sidecar process at a time; an event is acked (and dropped from the stream) only
 * after Frappe confirmed it, so a crash or a Frappe outage loses nothing. While a batch is being
 * retried the owner re-claims it, so other processes do not take it as orphaned; a process that
 * died leaves its batch to be claimed after `claimIdleMs`. No new batch is read while one is
 * failing, so events are not reordered needlessly.
 */
export class Forwarder {
  private readonly o: Required<ForwarderOptions>;
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private blocking: Redis | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly d: ForwarderDeps,
    opts: ForwarderOptions = {},
  ) {
    this.o = {
      batchSize: 100, maxBatchBytes: 4 * 1024 * 1024, minBackoffMs: 500, maxBackoffMs: 30_000, claimIdleMs: 60_000, blockMs: 2000,
      ...opts,
    };
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    this.blocking = this.d.connections.open('sidecar-inbound-forwarder', 'waiting');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.blocking?.disconnect();
    await this.loop;
    // A consumer with nothing pending is just a name; drop it so the group does not collect them.
    const pending = (await this.d.redis.xpending(this.d.keys.stream, GROUP, '-', '+', 1, this.consumer).catch(() => [1])) as unknown[];
    if (pending.length === 0) await this.d.redis.xgroup('DELCONSUMER', this.d.keys.stream, GROUP, this.consumer).catch(() => 0);
  }

  private async ensureGroup(): Promise<void> {
    // From 0: events stored while standalone are forwarded once a Frappe is configured.
    await this.d.redis.xgroup('CREATE', this.d.keys.stream, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        let entries: Entry[] = [];
        if (Date.now() - lastClaim >= this.o.claimIdleMs / 2) {
          lastClaim = Date.now();
          entries = await this.claimOrphans();
        }
        if (entries.length === 0) entries = await this.readNew();
        if (entries.length > 0) await this.forward(entries);
      } catch (err) {
        if (this.stopping) break;
        const message = (err as Error).message;
        if (isNoGroup(err)) await this.ensureGroup().catch(() => {});
        else this.d.log[isRedisUnavailable(err) ? 'debug' : 'warn']({ err: message }, 'inbound forwarder: Redis error');
        await this.sleep(1000);
      }
    }
  }

  private async claimOrphans(): Promise<Entry[]> {
    const [, claimed] = (await this.d.redis.xautoclaim(
      this.d.keys.stream, GROUP, this.consumer, this.o.claimIdleMs, '0-0', 'COUNT', this.o.batchSize,
    )) as [string, unknown];
    return toEntries(claimed);
  }

  private async readNew(): Promise<Entry[]> {
    const res = (await this.blocking!.xreadgroup(
      'GROUP', GROUP, this.consumer, 'COUNT', this.o.batchSize, 'BLOCK', this.o.blockMs, 'STREAMS', this.d.keys.stream, '>',
    )) as [string, unknown][] | null;
    return res ? toEntries(res[0]?.[1]) : [];
  }

  /** Splits by payload size, then delivers each batch in order. */
  private async forward(entries: Entry[]): Promise<void> {
    let batch: Entry[] = [];
    let bytes = 0;
    for (const e of entries) {
      const size = e.fields.body?.length ?? 0;
      if (batch.length > 0 && bytes + size > this.o.maxBatchBytes) {
        await this.deliver(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(e);
      bytes += size;
    }
    if (batch.length > 0) await this.deliver(batch);
  }

  /** Retries until Frappe confirms every event of the batch or the forwarder stops. */
  private async deliver(batch: Entry[]): Promise<void> {
    let pending = batch;
    for (let failures = 0; pending.length > 0 && !this.stopping; ) {
      try {
        const reply = Reply.parse(await this.d.frappe.call(FRAPPE_METHOD, { events: pending.map(toInboundEvent) }));
        const refused = new Map(reply.rejected.map((r) => [r.sidecar_id, `${r.code ?? 'rejected'}: ${r.message ?? ''}`]));
        const taken = new Set([...reply.accepted, ...reply.duplicates, ...refused.keys()]);
        const done = pending.filter((e) => taken.has(e.id));
        await this.d.store.settle(
          GROUP,
          done.map((e) => ({ id: e.id, slug: e.fields.slug!, status: refused.has(e.id) ? 'rejected' : 'forwarded', reason: refused.get(e.id) })),
        );
        this.d.metrics.forwarded.inc({ kind: 'inbound', result: 'accepted' }, reply.accepted.length);
        if (reply.duplicates.length) this.d.metrics.forwarded.inc({ kind: 'inbound', result: 'duplicate' }, reply.duplicates.length);
        if (refused.size) {
          this.d.metrics.forwarded.inc({ kind: 'inbound', result: 'rejected' }, refused.size);
          this.d.log.warn({ events: [...refused.entries()].slice(0, 10) }, 'Frappe refused inbound events; kept in the rejected stream');
        }
        for (const e of done) {
          this.d.realtime.publish('integrations_inbound', {
            slug: e.fields.slug, provider_event_id: e.fields.pid, event_type: e.fields.type, status: refused.has(e.id) ? 'rejected' : 'forwarded',
          });
        }
        pending = pending.filter((e) => !taken.has(e.id));
        if (pending.length > 0) throw new Error(`Frappe did not confirm ${pending.length} of the events sent`);
      } catch (err) {
        failures++;
        this.d.metrics.forwarded.inc({ kind: 'inbound', result: 'retry' }, pending.length);
        const level = isRedisUnavailable(err) ? 'debug' : 'warn';
        this.d.log[level]({ err: (err as Error).message, events: pending.length, failures }, 'inbound forward failed; retrying');
        await this.sleep(backoffMs(failures, this.o.minBackoffMs, this.o.maxBackoffMs));
        // Reset the idle clock so no other process claims a batch that is still being retried.
        if (!this.stopping) {
          await this.d.redis
            .xclaim(this.d.keys.stream, GROUP, this.consumer, 0, ...pending.map((e) => e.id), 'JUSTID')
            .catch(() => {});
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The docs/api.md InboundEvent built from a stream entry. */
function toInboundEvent(e: Entry) {
  const f = e.fields;
  return {
    sidecar_id: e.id,
    slug: f.slug,
    provider: f.provider,
    provider_event_id: f.pid,
    event_type: f.type,
    received_at: new Date(Number(f.at)).toISOString(),
    payload: f.body ?? '',
    headers: JSON.parse(f.headers ?? '{}') as Record<string, string>,
  };
}
