import type { Queue } from 'bullmq';
import { jobId, type DeliveryJob } from './keys';

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

export type Enqueue = (jobs: DeliveryJob[]) => Promise<void>;

export function createEnqueue(queue: Queue, backoffMs: number = JOB_OPTIONS.backoff.delay): Enqueue {
  const options = { ...JOB_OPTIONS, backoff: { ...JOB_OPTIONS.backoff, delay: backoffMs } };
  return async (jobs) => {
    if (jobs.length === 0) return;
    await queue.addBulk(jobs.map((data) => ({ name: 'deliver', data, opts: { ...options, jobId: jobId(data.m, data.g) } })));
  };
}
