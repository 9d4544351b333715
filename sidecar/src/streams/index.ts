import type { Context, Module } from '../module';
import type { StreamSink } from '../delivery/stream-sink';
import { StreamHub } from './fanout';
import { createStreamMetrics } from './metrics';
import { sseRoutes, streamRoutes } from './routes';
import { createStreamSink } from './sink';
import { StreamKeys, StreamStore } from './store';
import { streamUpgradeHandler } from './upgrade';

/**
 * Streams (DESIGN §3): configuration and publishing behind Bearer auth, SSE and WebSocket
 * subscriptions authenticated by stream tokens, one fan-out loop per stream per process, and
 * the sink through which outbox messages with `stream_id` reach a stream.
 */
export function createStreamsModule(ctx: Context): Module & { sink: StreamSink } {
  const store = new StreamStore(ctx.redis, new StreamKeys(ctx.prefix), ctx.replicated);
  const bound = ctx.config.STREAM_CLIENT_BUFFER_BYTES;
  const hub = new StreamHub({
    store,
    // A blocking connection per stream with subscribers here; it waits out a Redis outage.
    open: (stream) => ctx.connections.open(`sidecar-stream-${stream}`, 'waiting'),
    log: ctx.log,
    heartbeatMs: ctx.config.STREAM_HEARTBEAT_MS,
    bound,
  });
  const metrics = createStreamMetrics(ctx.metrics.registry, hub);
  hub.useMetrics(metrics);
  const limits = { bytes: bound, slowGraceMs: ctx.config.STREAM_SLOW_CONSUMER_GRACE_MS };
  const deps = { store, hub, metrics, limits };
  return {
    name: 'streams',
    sink: createStreamSink(store, metrics),
    routes({ public: pub, private: priv }) {
      sseRoutes(pub, deps);
      streamRoutes(priv, deps);
    },
    upgrade: streamUpgradeHandler({ store, hub, limits, log: ctx.log }),
    // Before HTTP closes: subscribers hold their connections open, and are told to come back.
    drain: () => hub.close(),
    async health() {
      const snap = hub.snapshot();
      return { streams: snap.length, clients: snap.reduce((n, s) => n + s.clients.sse + s.clients.ws, 0) };
    },
  };
}
