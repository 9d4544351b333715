import type { Queue } from 'bullmq';
import { batchJobId, isBatch, jobId, type AnyDeliveryJob } from './keys';

/**
 * BullMQ job options. Success removes the job at once (idempotency lives in the message
 * hash, not in BullMQ). `attempts` only covers unexpected errors inside the processor (e.g.
 * Redis gone between sending and recording): delivery retries are the engine's own, via
 * `moveToDelayed`, and never consume these.
 */
export const JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86400 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

/** Queues single-message and batch jobs; `delayMs` (a batched message's retry) applies to all. */
export type Enqueue = (jobs: AnyDeliveryJob[], delayMs?: number) => Promise<void>;

export const idOf = (data: AnyDeliveryJob) => (isBatch(data) ? batchJobId(data.b[0]![0], data.b[0]![1]) : jobId(data.m, data.g));

export function createEnqueue(queue: Queue, backoffMs: number = JOB_OPTIONS.backoff.delay): Enqueue {
  const options = { ...JOB_OPTIONS, backoff: { ...JOB_OPTIONS.backoff, delay: backoffMs } };
  return async (jobs, delayMs) => {
    if (jobs.length === 0) return;
    const delay = delayMs && delayMs > 0 ? { delay: Math.ceil(delayMs) } : {};
    await queue.addBulk(jobs.map((data) => ({ name: 'deliver', data, opts: { ...options, ...delay, jobId: idOf(data) } })));
  };
}
