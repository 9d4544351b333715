import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Context } from '../module';
import { isRedisUnavailable } from '../queues/redis-errors';
import type { EndpointStore } from './endpoints';
import { isBatch, QUEUE_NAME, type AnyDeliveryJob, type BatchJob, type DeliveryJob, type DeliveryKeys } from './keys';
import { MESSAGE_RETENTION_S } from './messages';
import { decide, type Decision } from './policy';
import { idOf, type Enqueue } from './queue';
import { buildRequest, NoActiveSecretError } from './request';
import type { Scripts } from './scripts';
import type { Sender, SendResult } from './send';

/** Response bytes kept per attempt (shown in desk; enough for an error message). */
export const RESPONSE_BODY_BYTES = 4096;
/** An in-flight slot's lease outlives the request timeout by this much, then frees itself. */
const LEASE_MARGIN_MS = 10_000;
/** Standard Webhooks / Svix: an endpoint failing for 5 days is disabled. */
export const AUTO_DISABLE_AFTER_MS = 5 * 86400_000;

export interface WorkerDeps {
  ctx: Context;
  /** Connection BullMQ's worker duplicates for its blocking reads. */
  workerConnection: Redis;
  keys: DeliveryKeys;
  /** The gate/finish scripts, on an auto-pipelined connection of their own. */
  scripts: Scripts;
  endpoints: EndpointStore;
  enqueue: Enqueue;
  sender: Sender;
  autoDisableAfterMs: number;
}

type Finish = Decision['status'] | 'cancelled';

/**
 * Counts the process's requests in flight: a batch job sends many at once, so the worker's job
 * concurrency alone would no longer bound them. `DELIVERY_CONCURRENCY` stays the number of
 * concurrent attempts per process (sockets and memory stay bounded with it).
 */
export class SendSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((ok) => this.waiting.push(ok));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [[86400_000, 'days'], [3_600_000, 'hours'], [60_000, 'minutes'], [1000, 'seconds']];
  for (const [size, name] of units) if (ms >= size) return `${+(ms / size).toFixed(1)} ${name}`;
  return `${ms} ms`;
}

/**
 * The delivery worker: gate (one script: pause, FIFO turn, in-flight slot, rate slot), send,
 * decide (pure policy), finish (one script). A job that may not go now is moved to delayed
 * without an attempt and without holding a worker slot, so a slow or throttled endpoint never
 * blocks the others.
 */
export function createDeliveryWorker(d: WorkerDeps): Worker<AnyDeliveryJob> {
  const { ctx, keys: k, scripts } = d;
  const reporting = ctx.frappe ? '1' : '0';
  const autoReason = `failing continuously for ${humanDuration(d.autoDisableAfterMs)}`;
  const slots = new SendSlots(ctx.config.DELIVERY_CONCURRENCY);

  async function finish(job: DeliveryJob, n: number, status: Finish, att: {
    at: number; result: SendResult; error: string | null; delayMs?: number; disableReason?: string; headers: Record<string, string>; attempted: boolean;
  }) {
    const { result } = att;
    const nextAt = status === 'retrying' ? att.at + (att.delayMs ?? 0) : null;
    const attempt = JSON.stringify({
      n, at: new Date(att.at).toISOString(), status_code: result.statusCode, duration_ms: result.durationMs, error: att.error, response_body: result.responseBody,
    });
    const outcomeAttempt = reporting === '1' || ctx.realtime.enabled ? `${attempt.slice(0, -1)},"request_headers":${JSON.stringify(att.headers)}}` : '';
    const nextJson = nextAt === null ? 'null' : JSON.stringify(new Date(nextAt).toISOString());
    const [final, justDisabled, reason, promoted, promotedGen] = await scripts.finish(
      [k.message(job.m), k.attempts(job.m), k.endpoint(job.e), k.inflight(job.e), k.reservations(job.e), k.order(job.e), k.parked(job.e), k.reports],
      [job.m, job.g, att.at, status, attempt, n, nextAt ?? '', result.statusCode ?? '', MESSAGE_RETENTION_S, att.disableReason ?? '',
        d.autoDisableAfterMs, autoReason, reporting, outcomeAttempt, job.e, nextJson, new Date(att.at).toISOString(), att.attempted ? '1' : '0', k.base],
    );
    if (final === 'stale') return final;
    if (promoted) await d.enqueue([{ m: promoted, e: job.e, g: Number(promotedGen) }]);
    if (Number(justDisabled) === 1) {
      ctx.log.warn({ endpoint: job.e, reason }, 'endpoint disabled');
      ctx.realtime.publish('integrations_endpoint_disabled', { endpoint_id: job.e, reason });
    }
    if (ctx.realtime.enabled) {
      ctx.realtime.publish('integrations_delivery', {
        message_id: job.m, endpoint_id: job.e, status: final, attempt: JSON.parse(outcomeAttempt) as unknown,
        next_attempt_at: final === 'retrying' ? new Date(nextAt!).toISOString() : null,
      });
    }
    ctx.metrics.deliveries.inc({ result: final });
    return final;
  }

  async function settleAbandoned(job: DeliveryJob, err: Error): Promise<void> {
    const [g, n] = await ctx.redis.hmget(k.message(job.m), 'g', 'n');
    if (g !== String(job.g)) return; // replayed or recovered meanwhile: a newer job owns it
    const noSend: SendResult = { statusCode: null, durationMs: 0, responseBody: null, retryAfterMs: null, error: null };
    await finish(job, Number(n ?? 0) + 1, 'failed', { at: Date.now(), result: noSend, error: `internal error: ${err.message}`, headers: {}, attempted: false });
  }

  async function defer(job: Job<DeliveryJob>, token: string | undefined, delayMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  async function process(job: Job<DeliveryJob>, token?: string): Promise<void> {
    const data = job.data;
    const ep = await d.endpoints.runtime(data.e);
    const now = Date.now();
    const gate = await scripts.gate(
      [k.message(data.m)],
      [k.base, data.m, data.e, data.g, now, ep?.maxInFlight ?? 0, ep?.rateIntervalMs ?? 0, (ep?.timeoutMs ?? 0) + LEASE_MARGIN_MS, Math.random()],
    );
    const noSend: SendResult = { statusCode: null, durationMs: 0, responseBody: null, retryAfterMs: null, error: null };
    switch (gate[0]) {
      case 'go':
        break;
      case 'defer':
        ctx.metrics.deliveries.inc({ result: 'deferred' });
        return defer(job, token, Number(gate[1]));
      case 'abort': {
        const [, status, reason, n] = gate;
        await finish(data, Number(n) + 1, status as Finish, { at: now, result: noSend, error: String(reason), headers: {}, attempted: false });
        return;
      }
      default: // drop (stale or finished), held (paused), parked (FIFO): the message waits without a job
        return;
    }
    // The endpoint was created less than a cache lifetime ago in another process: look again shortly.
    if (!ep) return defer(job, token, 1000);
    const n = Number(gate[1]) + 1;
    const body = String(gate[2]);
    let headers: Record<string, string> = {};
    let result: SendResult;
    try {
      const req = buildRequest(ep, data.m, body, now);
      headers = req.reportHeaders;
      result = await slots.run(() => d.sender.send({ url: ep.url, headers: req.headers, body, timeoutMs: ep.timeoutMs, maxResponseBytes: RESPONSE_BODY_BYTES }));
      ctx.metrics.attemptDuration.observe(result.durationMs / 1000);
    } catch (err) {
      if (!(err instanceof NoActiveSecretError)) throw err;
      result = { ...noSend, error: { kind: 'other', message: err.message } };
    }
    const decision = decide({ result, attempt: n, schedule: ep.schedule, rand: Math.random() });
    const final = await finish(data, n, decision.status, {
      at: now, result, error: decision.error, headers, attempted: true,
      delayMs: decision.status === 'retrying' ? decision.delayMs : undefined,
      disableReason: decision.status === 'failed' ? decision.disableReason : undefined,
    });
    if (final === 'succeeded') ctx.metrics.deliveryLatency.observe((Date.now() - Number(gate[3])) / 1000);
    if (final === 'retrying' && decision.status === 'retrying') return defer(job, token, decision.delayMs - (Date.now() - now));
  }


  /** After finish: realtime, disable notice and metrics, as {@link finish} does per message. */
  function published(job: DeliveryJob, final: string, outcomeAttempt: string, nextAt: number | null) {
    if (ctx.realtime.enabled) {
      ctx.realtime.publish('integrations_delivery', {
        message_id: job.m, endpoint_id: job.e, status: final, attempt: JSON.parse(outcomeAttempt) as unknown,
        next_attempt_at: final === 'retrying' ? new Date(nextAt!).toISOString() : null,
      });
    }
    ctx.metrics.deliveries.inc({ result: final });
  }

  /**
   * A batch job: first attempts of several messages to one plain endpoint. One gate script
   * claims them, the requests go out concurrently (each signed on its own), one finish script
   * records every outcome. A message to retry gets a delayed single-message job of its own; an
   * endpoint that stopped being plain hands its messages to single jobs, whose gate enforces
   * FIFO and limits. A re-run after a crash or stall re-claims only what this job had claimed
   * and not finished (the gate drops the rest), so nothing is sent again beyond at-least-once.
   */
  async function processBatch(job: Job<AnyDeliveryJob>, data: BatchJob): Promise<void> {
    const e = data.e;
    const id = job.id ?? idOf(data);
    const ep = await d.endpoints.runtime(e);
    const plain = ep !== null && !ep.ordered && !ep.maxInFlight && !ep.rateIntervalMs;
    const now = Date.now();
    const args: Array<string | number> = [k.base, e, id, plain ? '0' : '1'];
    for (const [m, g] of data.b) args.push(m, g);
    const gate = await scripts.gateBatch([k.endpoint(e)], args);
    // gate[0] (the endpoint's mode) is already folded into each message's verdict.
    const [abortStatus, abortReason] = [String(gate[1]), String(gate[2])];
    const noSend: SendResult = { statusCode: null, durationMs: 0, responseBody: null, retryAfterMs: null, error: null };
    const handoff: DeliveryJob[] = [];
    const retries: Array<[DeliveryJob, number]> = [];
    type Row = { job: DeliveryJob; n: number; status: Finish; at: number; result: SendResult; error: string | null; headers: Record<string, string>;
      attempted: boolean; delayMs?: number; disableReason?: string; acc?: number };
    const pending: Array<Promise<Row>> = [];
    data.b.forEach(([m, g], i) => {
      const o = 3 + i * 4;
      const verdict = String(gate[o]);
      const msg: DeliveryJob = { m, e, g };
      const n = Number(gate[o + 1]) + 1;
      if (verdict === 'handoff') handoff.push(msg);
      else if (verdict === 'retry') retries.push([msg, Number(gate[o + 2]) - now]);
      else if (verdict === 'abort') {
        pending.push(Promise.resolve({ job: msg, n, status: abortStatus as Finish, at: now, result: noSend, error: abortReason, headers: {}, attempted: false }));
      } else if (verdict === 'go') {
        const body = String(gate[o + 2]);
        const acc = Number(gate[o + 3]);
        pending.push((async (): Promise<Row> => {
          let headers: Record<string, string> = {};
          let result: SendResult;
          let at = now;
          try {
            // Signed when its slot comes up, so the timestamp is that of the request.
            result = await slots.run(async () => {
              at = Date.now();
              const req = buildRequest(ep!, m, body, at);
              headers = req.reportHeaders;
              return d.sender.send({ url: ep!.url, headers: req.headers, body, timeoutMs: ep!.timeoutMs, maxResponseBytes: RESPONSE_BODY_BYTES });
            });
            ctx.metrics.attemptDuration.observe(result.durationMs / 1000);
          } catch (err) {
            if (!(err instanceof NoActiveSecretError)) throw err;
            result = { ...noSend, error: { kind: 'other', message: err.message } };
          }
          const decision = decide({ result, attempt: n, schedule: ep!.schedule, rand: Math.random() });
          return {
            job: msg, n, status: decision.status, at, result, error: decision.error, headers, attempted: true, acc,
            delayMs: decision.status === 'retrying' ? decision.delayMs : undefined,
            disableReason: decision.status === 'failed' ? decision.disableReason : undefined,
          };
        })());
      } // drop, held: nothing to do
    });
    await d.enqueue(handoff);
    // Retries this job recorded before a crash: queue them again (a no-op if their job exists).
    for (const [msg, delay] of retries) await d.enqueue([msg], delay);
    retries.length = 0;
    if (pending.length === 0) return;
    // Every send settles (the sender turns failures into results); an unexpected error still
    // waits for the others so no request is left running when BullMQ retries the job.
    const settled = await Promise.allSettled(pending);
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    const rows = settled.map((r) => (r as PromiseFulfilledResult<Row>).value);

    const done = Date.now();
    const fargs: Array<string | number> = [k.base, e, done, new Date(done).toISOString(), MESSAGE_RETENTION_S, d.autoDisableAfterMs, autoReason, reporting, id];
    const meta: Array<{ outcomeAttempt: string; nextAt: number | null }> = [];
    const packed: string[][] = [];
    for (const r of rows) {
      const nextAt = r.status === 'retrying' ? r.at + (r.delayMs ?? 0) : null;
      const attempt = JSON.stringify({
        n: r.n, at: new Date(r.at).toISOString(), status_code: r.result.statusCode, duration_ms: r.result.durationMs, error: r.error, response_body: r.result.responseBody,
      });
      const outcomeAttempt = reporting === '1' || ctx.realtime.enabled ? `${attempt.slice(0, -1)},"request_headers":${JSON.stringify(r.headers)}}` : '';
      const nextJson = nextAt === null ? 'null' : JSON.stringify(new Date(nextAt).toISOString());
      packed.push([r.job.m, String(r.job.g), r.status, attempt, String(r.n), nextAt === null ? '' : String(nextAt), r.result.statusCode === null ? '' : String(r.result.statusCode),
        r.disableReason ?? '', outcomeAttempt, nextJson, r.attempted ? '1' : '0']);
      meta.push({ outcomeAttempt, nextAt });
    }
    fargs.push(JSON.stringify(packed));
    const fin = await scripts.finishBatch([k.endpoint(e), k.reports], fargs);
    if (Number(fin[0]) === 1) {
      ctx.log.warn({ endpoint: e, reason: fin[1] }, 'endpoint disabled');
      ctx.realtime.publish('integrations_endpoint_disabled', { endpoint_id: e, reason: fin[1] });
    }
    const end = Date.now();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const final = String(fin[2 + i]);
      if (final === 'stale') continue;
      published(r.job, final, meta[i]!.outcomeAttempt, meta[i]!.nextAt);
      if (final === 'succeeded') ctx.metrics.deliveryLatency.observe((end - r.acc!) / 1000);
      if (final === 'retrying') retries.push([r.job, meta[i]!.nextAt! - end]);
    }
    for (const [msg, delay] of retries) await d.enqueue([msg], delay);
  }

  /** A batch job BullMQ gave up on: settles what it had claimed and not finished (see settleAbandoned). */
  async function settleAbandonedBatch(jobIdValue: string, data: BatchJob, err: Error): Promise<void> {
    for (const [m, g] of data.b) {
      const [mg, st, n, j, next] = await ctx.redis.hmget(k.message(m), 'g', 'st', 'n', 'j', 'next');
      if (mg !== String(g)) continue;
      const job: DeliveryJob = { m, e: data.e, g };
      if (st === 'retrying' && j === jobIdValue) {
        await d.enqueue([job], Number(next ?? 0) - Date.now());
      } else if (st === 'pending' || (st === 'sending' && j === jobIdValue)) {
        const noSend: SendResult = { statusCode: null, durationMs: 0, responseBody: null, retryAfterMs: null, error: null };
        await finish(job, Number(n ?? 0) + 1, 'failed', { at: Date.now(), result: noSend, error: `internal error: ${err.message}`, headers: {}, attempted: false });
      }
    }
  }

  const worker = new Worker<AnyDeliveryJob>(QUEUE_NAME, (job, token) => (isBatch(job.data) ? processBatch(job, job.data) : process(job as Job<DeliveryJob>, token)), {
    connection: d.workerConnection,
    prefix: ctx.prefix,
    concurrency: ctx.config.DELIVERY_CONCURRENCY,
    // Short lock and stall check: after a crash, jobs that were in flight go back to the queue
    // within ~20 s (the lock is renewed while a slow receiver is being waited for).
    lockDuration: 15_000,
    stalledInterval: 5_000,
    maxStalledCount: 5,
  });
  // BullMQ retries on its own while Redis is unreachable and reports each try here; the
  // connection group has logged the outage once, so only other errors are worth a line.
  worker.on('error', (err) => {
    if (isRedisUnavailable(err)) ctx.log.debug({ err: err.message }, 'delivery worker: Redis unavailable');
    else ctx.log.error({ err: err.message }, 'delivery worker error');
  });
  worker.on('failed', (job, err) => {
    ctx.log.error({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, 'delivery job failed unexpectedly');
    // BullMQ gave up (retries of an unexpected error used up, or stalled too often): the
    // message would otherwise stay `sending` forever. End it `failed` with the cause, releasing
    // its slots, so desk shows it and replay/recover can send it again.
    const gaveUp = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(err.message));
    if (!gaveUp) return;
    const data = job.data;
    const settled = isBatch(data) ? settleAbandonedBatch(job.id ?? idOf(data), data, err) : settleAbandoned(data, err);
    void settled.catch((e: Error) => ctx.log.error({ err: e.message, job: job.id }, 'could not settle an abandoned message'));
  });
  return worker;
}
