import type { Redis } from 'ioredis';
import { AppError, notFound } from '../errors';
import { replies } from '../queues/pipeline';
import type { EndpointStore } from './endpoints';
import { BATCH_SIZE, type AnyDeliveryJob, type BatchJob, type DeliveryJob, type DeliveryKeys } from './keys';
import type { Enqueue } from './queue';
import { MAX_JSON_DEPTH } from '../http/json';
import type { EndpointMessage, MessageInput, MessageStatus, OverDeepMessage, StreamMessage, SyncMessage } from './schemas';
import type { StreamRejected, StreamSink } from './stream-sink';
import type { SyncRejected, SyncSink } from './sync-sink';
import type { Scripts } from './scripts';

/** How long a message, its body and its attempts stay readable after its last activity. */
export const MESSAGE_RETENTION_S = 7 * 86400;
/** One message's body on the wire (Standard Webhooks recommends far less). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Recover re-queues at most this many failed messages per call (as Svix does). */
export const MAX_RECOVER = 10_000;

export type Rejected =
  | {
      id: string;
      code: 'endpoint_not_found' | 'event_type_not_subscribed' | 'payload_too_large' | 'payload_too_deep';
      message: string;
    }
  | StreamRejected
  | SyncRejected;

type Accepted = { accepted: string[]; duplicates: string[]; rejected: Rejected[] };

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

/** Accepting, reading and re-queuing messages (the delivery itself is worker.ts). */
export class MessageService {
  constructor(
    private readonly redis: Redis,
    private readonly keys: DeliveryKeys,
    private readonly scripts: Scripts,
    private readonly endpoints: EndpointStore,
    private readonly enqueue: Enqueue,
    /** Before a 202: the stored messages and their jobs reached the replicas (see Context.replicated). */
    private readonly replicated: () => Promise<void>,
    /** Takes the messages that carry `stream_id`; without it they are rejected `stream_not_found`. */
    private readonly streams: StreamSink | null = null,
    /** The reports stream when Frappe is told outcomes: a stream message appended is reported `succeeded`. */
    private readonly reports: string | null = null,
    /** Takes the messages that carry `sync_profile_id`; without it they are rejected `sync_profile_not_found`. */
    private readonly sync: SyncSink | null = null,
  ) {}

  /**
   * Accepts a batch: stream messages are appended to their streams (once per id) and reported
   * like a delivered message, the rest go to delivery. One answer for both, in one shape.
   */
  async accept(messages: Array<MessageInput | OverDeepMessage>): Promise<Accepted> {
    const toStreams: StreamMessage[] = [];
    const toSync: SyncMessage[] = [];
    const toEndpoints: Array<EndpointMessage | OverDeepMessage> = [];
    for (const m of messages) {
      if (!('overDeep' in m) && m.stream_id !== undefined) toStreams.push(m as StreamMessage);
      else if (!('overDeep' in m) && m.sync_profile_id !== undefined) toSync.push(m as SyncMessage);
      else toEndpoints.push(m as EndpointMessage | OverDeepMessage);
    }
    if (toStreams.length === 0 && toSync.length === 0) return this.acceptDeliveries(toEndpoints);
    const parts = await Promise.all([this.appendToStreams(toStreams), this.acceptSync(toSync), this.acceptDeliveries(toEndpoints)]);
    return {
      accepted: parts.flatMap((x) => x.accepted),
      duplicates: parts.flatMap((x) => x.duplicates),
      rejected: parts.flatMap((x) => x.rejected),
    };
  }

  private async acceptSync(messages: SyncMessage[]): Promise<Accepted> {
    if (messages.length === 0) return { accepted: [], duplicates: [], rejected: [] };
    if (!this.sync) {
      return { accepted: [], duplicates: [], rejected: messages.map((m) => ({ id: m.id, code: 'sync_profile_not_found' as const, message: `Sync profile ${m.sync_profile_id} not found.` })) };
    }
    const out = await this.sync.acceptChanges(messages);
    // Queued (now or before) is the message's final outcome, as for a stream: the record's own
    // outcome lives in its Sync Log row.
    await this.reportDone([...out.accepted, ...out.duplicates], new Map(messages.map((m) => [m.id, { sync_profile_id: m.sync_profile_id }])));
    return out;
  }

  private async reportDone(ids: string[], target: Map<string, Record<string, string>>): Promise<void> {
    if (!this.reports || ids.length === 0) return;
    const at = new Date().toISOString();
    const pipe = this.redis.pipeline();
    for (const id of ids) {
      const outcome = {
        message_id: id, ...target.get(id), status: 'succeeded',
        attempt: { n: 1, at, status_code: null, duration_ms: 0, error: null, response_body: null, request_headers: {} },
        next_attempt_at: null,
      };
      pipe.xadd(this.reports, '*', 'o', JSON.stringify(outcome));
    }
    await replies(pipe);
  }

  private async appendToStreams(messages: StreamMessage[]): Promise<Accepted> {
    if (!this.streams) {
      return { accepted: [], duplicates: [], rejected: messages.map((m) => ({ id: m.id, code: 'stream_not_found' as const, message: `Stream ${m.stream_id} not found.` })) };
    }
    const out = await this.streams.appendMessages(messages);
    const byId = new Map(messages.map((m) => [m.id, m]));
    // Appended is the message's final state: lookups and GET find it like a delivered message.
    const record = this.redis.pipeline();
    const acc = String(Date.now());
    for (const id of [...out.accepted, ...out.duplicates]) {
      const key = this.keys.streamMessage(id);
      const m = byId.get(id)!;
      record.hset(key, 'st', 'succeeded', 'stream', m.stream_id, 'type', m.event_type).hsetnx(key, 'acc', acc).expire(key, MESSAGE_RETENTION_S);
    }
    await replies(record);
    // Appended (now or before) is this message's final outcome: Frappe completes its outbox row.
    await this.reportDone([...out.accepted, ...out.duplicates], new Map(messages.map((m) => [m.id, { stream_id: m.stream_id }])));
    return out;
  }

  /**
   * Stores new messages with their body serialised once (so every attempt sends the same
   * bytes) and queues them. A duplicate of a message that never got going is queued again:
   * the sidecar may have died between storing it and queuing it, and BullMQ ignores the
   * second add while the first job exists.
   */
  private async acceptDeliveries(messages: Array<EndpointMessage | OverDeepMessage>): Promise<Accepted> {
    const now = Date.now();
    const rejected: Rejected[] = [];
    const args: Array<string | number> = [];
    const ids: string[] = [];
    const plain = new Set<string>();
    // Each endpoint looked up once per request (a batch is usually for a few endpoints).
    const uniq = [...new Set(messages.flatMap((m) => ('overDeep' in m ? [] : [m.endpoint_id])))];
    const found = await Promise.all(uniq.map((id) => this.endpoints.runtime(id)));
    const eps = new Map(uniq.map((id, i) => [id, found[i] ?? null]));
    for (const m of messages) {
      if ('overDeep' in m) {
        rejected.push({ id: m.id, code: 'payload_too_deep', message: `The message nests deeper than ${MAX_JSON_DEPTH} levels.` });
        continue;
      }
      const ep = eps.get(m.endpoint_id);
      if (!ep) {
        rejected.push({ id: m.id, code: 'endpoint_not_found', message: `Endpoint ${m.endpoint_id} not found.` });
        continue;
      }
      if (ep.eventTypes && !ep.eventTypes.has(m.event_type)) {
        rejected.push({ id: m.id, code: 'event_type_not_subscribed', message: `Endpoint ${m.endpoint_id} does not take ${m.event_type}.` });
        continue;
      }
      const body = JSON.stringify({ type: m.event_type, timestamp: m.timestamp ?? new Date(now).toISOString(), data: m.payload });
      if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
        rejected.push({ id: m.id, code: 'payload_too_large', message: `The body exceeds ${MAX_BODY_BYTES} bytes.` });
        continue;
      }
      ids.push(m.id);
      if (!ep.ordered && !ep.maxInFlight && !ep.rateIntervalMs) plain.add(m.endpoint_id);
      args.push(m.id, m.endpoint_id, m.event_type, body, ep.ordered ? '1' : '0');
    }
    const accepted: string[] = [];
    const duplicates: string[] = [];
    if (ids.length === 0) return { accepted, duplicates, rejected };
    const out = await this.scripts.accept([this.keys.sequence], [this.keys.base, now, MESSAGE_RETENTION_S, ids.length, ...args]);
    // First attempts to a plain endpoint (no FIFO, rate limit or in-flight cap) go in batch
    // jobs of up to BATCH_SIZE per endpoint, in request order; everything else one job each.
    const jobs: AnyDeliveryJob[] = [];
    const open = new Map<string, BatchJob>();
    const queued = new Set<string>();
    ids.forEach((id, i) => {
      const [st, g, e] = [out[i * 3], Number(out[i * 3 + 1]), String(out[i * 3 + 2])];
      if (st === 'a') accepted.push(id);
      else duplicates.push(id);
      if ((st !== 'a' && st !== 'pending') || queued.has(id)) return;
      queued.add(id);
      if (!plain.has(e)) {
        jobs.push({ m: id, e, g });
        return;
      }
      let batch = open.get(e);
      if (!batch || batch.b.length >= BATCH_SIZE) {
        batch = { e, b: [] };
        open.set(e, batch);
        jobs.push(batch);
      }
      batch.b.push([id, g]);
    });
    await this.enqueue(jobs);
    await this.replicated();
    return { accepted, duplicates, rejected };
  }

  async get(id: string) {
    const [[, h], [, attempts]] = (await this.redis
      .multi()
      .hgetall(this.keys.message(id))
      .lrange(this.keys.attempts(id), 0, -1)
      .exec()) as [[null, Record<string, string>], [null, string[]]];
    if (!h.st) {
      const sm = await this.redis.hgetall(this.keys.streamMessage(id));
      if (!sm.st) throw notFound(`Message ${id}`);
      return { id, stream_id: sm.stream, event_type: sm.type, status: sm.st as MessageStatus, accepted_at: iso(sm.acc), attempts: [], next_attempt_at: null };
    }
    return {
      id,
      endpoint_id: h.ep,
      event_type: h.type,
      status: h.st as MessageStatus,
      accepted_at: iso(h.acc),
      attempts: attempts.map((a) => JSON.parse(a) as unknown),
      next_attempt_at: iso(h.next),
    };
  }

  async lookup(ids: string[]): Promise<{ found: Record<string, string>; missing: string[] }> {
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.keys.message(id), 'st').hget(this.keys.streamMessage(id), 'st');
    const res = await replies(pipe);
    const found: Record<string, string> = {};
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const st = (res[i * 2] ?? res[i * 2 + 1]) as string | null;
      if (st) found[id] = st;
      else missing.push(id);
    });
    return { found, missing };
  }

  /** Newest first; with a status filter, looks through at most the newest 10,000. */
  async listForEndpoint(ep: string, status: MessageStatus | undefined, limit: number) {
    if (!(await this.endpoints.exists(ep))) throw notFound(`Endpoint ${ep}`);
    const out: Array<Record<string, unknown>> = [];
    const page = 500;
    for (let start = 0; out.length < limit && start < 10_000; start += page) {
      const ids = await this.redis.zrevrange(this.keys.endpointMessages(ep), start, start + page - 1);
      if (ids.length === 0) break;
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hmget(this.keys.message(id), 'st', 'type', 'acc', 'n', 'code', 'next');
      const rows = await replies(pipe);
      ids.forEach((id, i) => {
        const [st, type, acc, n, code, next] = (rows[i] ?? []) as Array<string | null>;
        if (!st || (status && st !== status) || out.length >= limit) return;
        out.push({
          id,
          event_type: type,
          status: st,
          accepted_at: iso(acc ?? undefined),
          attempts: Number(n ?? 0),
          last_status_code: code ? Number(code) : null,
          next_attempt_at: iso(next ?? undefined),
        });
      });
    }
    return { messages: out };
  }

  /** A new attempt for a finished message (attempt numbers continue). */
  async replay(id: string): Promise<void> {
    const jobs = toJobs(await this.scripts.requeue([this.keys.sequence], [this.keys.base, 'final', id]));
    if (jobs.length === 0) {
      const st = await this.redis.hget(this.keys.message(id), 'st');
      if (!st) {
        if (await this.redis.exists(this.keys.streamMessage(id))) {
          throw new AppError('conflict', `Message ${id} was appended to a stream; consumers read it again by resuming from an earlier event id.`);
        }
        throw notFound(`Message ${id}`);
      }
      throw new AppError('conflict', `Message ${id} is ${st}; only a finished message can be replayed.`);
    }
    await this.enqueue(jobs);
    await this.replicated();
  }

  /** Re-queues the endpoint's failed messages accepted in [since, until]. */
  async recover(ep: string, since: number, until: number): Promise<number> {
    if (!(await this.endpoints.exists(ep))) throw notFound(`Endpoint ${ep}`);
    const ids = await this.redis.zrangebyscore(this.keys.endpointMessages(ep), since, until, 'LIMIT', 0, MAX_RECOVER);
    let requeued = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const jobs = toJobs(await this.scripts.requeue([this.keys.sequence], [this.keys.base, 'failed', ...ids.slice(i, i + 1000)]));
      await this.enqueue(jobs);
      requeued += jobs.length;
    }
    await this.replicated();
    return requeued;
  }

  /** Gives held (paused) and/or parked (FIFO) messages a job again. */
  async release(sets: string[]): Promise<number> {
    const jobs = toJobs(await this.scripts.requeue([this.keys.sequence, ...sets], [this.keys.base, 'open']));
    await this.enqueue(jobs);
    return jobs.length;
  }
}

function toJobs(flat: Array<string | number>): DeliveryJob[] {
  const jobs: DeliveryJob[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) jobs.push({ m: String(flat[i]), e: String(flat[i + 1]), g: Number(flat[i + 2]) });
  return jobs;
}
