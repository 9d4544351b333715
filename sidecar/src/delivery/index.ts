import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Context, Module } from '../module';
import { RedisConnections } from '../queues/connection';
import { isRedisUnavailable } from '../queues/redis-errors';
import { EndpointStore } from './endpoints';
import { DeliveryKeys, QUEUE_NAME, type AnyDeliveryJob } from './keys';
import { MessageService } from './messages';
import { OutboxConsumer, outboxStream, type OutboxConsumerOptions } from './outbox-consumer';
import { coalesceWrites } from './coalesce';
import { createEnqueue } from './queue';
import { Reporter, type ReporterOptions } from './reporter';
import { endpointRoutes } from './routes/endpoints';
import { messageRoutes } from './routes/messages';
import { loadScripts } from './scripts';
import { createSender, type Sender } from './send';
import type { DeliveryService } from './service';
import type { StreamSink } from './stream-sink';
import type { SyncSink } from './sync-sink';
import { createSsrfGuard } from './ssrf';
import { AUTO_DISABLE_AFTER_MS, createDeliveryWorker } from './worker';

export interface DeliveryOptions {
  /** An endpoint whose attempts have all failed for this long is disabled. @defaultValue 5 days */
  autoDisableAfterMs?: number;
  /** Tuning of the Frappe reporter (batch size, interval, back-off). */
  reporter?: ReporterOptions;
  /** Tuning of the consumer of Frappe's outbox hand-off (read size, block, claim). */
  outbox?: OutboxConsumerOptions;
  /** How often the queue depth gauge is sampled. @defaultValue 5000 */
  queueDepthIntervalMs?: number;
  /** Replaces the HTTP sender (tests inject faults the real one never raises). */
  sender?: Sender;
  /** Base back-off of BullMQ's own retries after an unexpected processor error. @defaultValue 1000 */
  jobBackoffMs?: number;
  /** Takes messages that carry `stream_id` (the streams module). */
  streams?: StreamSink;
  /** Takes messages that carry `sync_profile_id` (the sync module). */
  sync?: SyncSink | null;
}

/** Outbound webhooks: endpoints, messages, the delivery worker and the Frappe reporter. */
export function createDeliveryModule(ctx: Context, opts: DeliveryOptions = {}): Module & { service: DeliveryService } {
  const keys = new DeliveryKeys(ctx.prefix);
  const queue = new Queue<AnyDeliveryJob>(QUEUE_NAME, { connection: ctx.redis, prefix: ctx.prefix });
  // The connection group logs outages; BullMQ re-emits each connection error here as well.
  queue.on('error', (err) => {
    if (!isRedisUnavailable(err)) ctx.log.error({ err: err.message }, 'delivery queue error');
  });
  const enqueue = createEnqueue(queue, opts.jobBackoffMs);
  const endpoints = new EndpointStore(ctx.redis, keys, ctx.secrets);
  const messages = new MessageService(ctx.redis, keys, loadScripts(ctx.redis), endpoints, enqueue, ctx.replicated, opts.streams ?? null, ctx.frappe ? keys.reports : null, opts.sync ?? null);
  const guard = createSsrfGuard({ allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE, allowHosts: ctx.config.OUTBOUND_ALLOW_HOSTS });
  const service: DeliveryService = { keys, endpoints, messages, guard, replicated: ctx.replicated };

  let hot: Redis | null = null;
  let workerConnection: Redis | null = null;
  let sender: Sender | null = null;
  let worker: Worker<AnyDeliveryJob> | null = null;
  let reporter: Reporter | null = null;
  let frappeRedis: RedisConnections | null = null;
  let outbox: OutboxConsumer | null = null;
  let depthTimer: NodeJS.Timeout | null = null;

  const sampleDepth = async () => {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed');
    for (const [state, n] of Object.entries(counts)) ctx.metrics.queueDepth.set({ queue: QUEUE_NAME, state }, n);
  };

  return {
    name: 'delivery',
    service,
    routes({ private: r }) {
      endpointRoutes(r, service);
      messageRoutes(r, service);
    },
    async start() {
      // Its own connection for the two scripts per attempt: auto-pipelining batches the
      // commands of concurrent jobs into one write without touching the API's connection.
      hot = coalesceWrites(ctx.connections.open('sidecar-delivery', 'waiting', { enableAutoPipelining: true }));
      // BullMQ's worker runs its own commands on it and opens a duplicate for its blocking reads.
      workerConnection = ctx.connections.open('sidecar-delivery-worker', 'waiting');
      sender = opts.sender ?? createSender({ allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE, allowHosts: ctx.config.OUTBOUND_ALLOW_HOSTS });
      if (ctx.frappe) {
        reporter = new Reporter(ctx.redis, keys.reports, ctx.frappe, ctx.log, ctx.metrics, opts.reporter);
        await reporter.start();
        if (ctx.config.realtime) {
          // Frappe hands its outbox rows over on its own redis_queue after each commit; acknowledgements go back through the reporter.
          // Frappe's Redis is another server: its own group, so its outages are logged under its name.
          frappeRedis = new RedisConnections({ url: ctx.config.realtime.redisUrl }, ctx.log, 'frappe-outbox');
          outbox = new OutboxConsumer(
            frappeRedis.open('sidecar-outbox', 'waiting'), outboxStream(ctx.config.realtime.site), messages, ctx.redis, keys.reports, ctx.log, ctx.metrics, opts.outbox,
          );
          await outbox.start();
        } else {
          ctx.log.warn('FRAPPE_REDIS_URL and FRAPPE_SITE are unset: Frappe\'s outbox rows reach the sidecar only through its minutely re-push');
        }
      }
      worker = createDeliveryWorker({
        ctx, workerConnection, keys, scripts: loadScripts(hot), endpoints, enqueue, sender,
        autoDisableAfterMs: opts.autoDisableAfterMs ?? AUTO_DISABLE_AFTER_MS,
      });
      depthTimer = setInterval(() => void sampleDepth().catch(() => {}), opts.queueDepthIntervalMs ?? 5000);
      depthTimer.unref();
    },
    async stop() {
      if (depthTimer) clearInterval(depthTimer);
      // In-flight attempts finish and are recorded before anything they need is closed.
      await outbox?.stop();
      await worker?.close();
      await reporter?.stop();
      await sender?.close();
      await queue.close();
      await hot?.quit().catch(() => hot?.disconnect());
      await workerConnection?.quit().catch(() => workerConnection?.disconnect());
      await frappeRedis?.close();
    },
    async health() {
      return { queue: await queue.getJobCounts('wait', 'active', 'delayed', 'failed'), outbox_handoff: outbox ? 'consuming' : 'off' };
    },
  };
}
