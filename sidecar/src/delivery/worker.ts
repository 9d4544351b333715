import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Context } from '../module';
import type { EndpointStore } from './endpoints';
import { QUEUE_NAME, type DeliveryJob, type DeliveryKeys } from './keys';
import { MESSAGE_RETENTION_S } from './messages';
import { decide, type Decision } from './policy';
import type { Enqueue } from './queue';
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
export function createDeliveryWorker(d: WorkerDeps): Worker<DeliveryJob> {
  const { ctx, keys: k, scripts } = d;
  const reporting = ctx.frappe ? '1' : '0';
  const autoReason = `failing continuously for ${humanDuration(d.autoDisableAfterMs)}`;

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
      result = await d.sender.send({ url: ep.url, headers: req.headers, body, timeoutMs: ep.timeoutMs, maxResponseBytes: RESPONSE_BODY_BYTES });
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

  const worker = new Worker<DeliveryJob>(QUEUE_NAME, process, {
    connection: d.workerConnection,
    prefix: ctx.prefix,
    concurrency: ctx.config.DELIVERY_CONCURRENCY,
    // Short lock and stall check: after a crash, jobs that were in flight go back to the queue
    // within ~20 s (the lock is renewed while a slow receiver is being waited for).
    lockDuration: 15_000,
    stalledInterval: 5_000,
    maxStalledCount: 5,
  });
  worker.on('error', (err) => ctx.log.error({ err: err.message }, 'delivery worker error'));
  worker.on('failed', (job, err) => {
    ctx.log.error({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, 'delivery job failed unexpectedly');
    // BullMQ gave up (retries of an unexpected error used up, or stalled too often): the
    // message would otherwise stay `sending` forever. End it `failed` with the cause, releasing
    // its slots, so desk shows it and replay/recover can send it again.
    const gaveUp = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(err.message));
    if (gaveUp) void settleAbandoned(job.data, err).catch((e: Error) => ctx.log.error({ err: e.message, message: job.data.m }, 'could not settle an abandoned message'));
  });
  return worker;
}
