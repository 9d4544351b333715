import { Counter, Gauge, type Registry } from 'prom-client';

export type Transport = 'sse' | 'ws';

/** What the gauges read at scrape time: the hub's subscribers, per stream. */
export interface StreamGaugeSource {
  /** Per stream and transport: connected subscribers; per stream: the most events any of them is behind. */
  snapshot(): Array<{ stream: string; clients: Record<Transport, number>; lag: number }>;
}

/**
 * Stream metrics on the sidecar's registry. Labels are stream ids and fixed words only. The
 * gauges are computed when scraped, so the fan-out's hot path only bumps counters.
 */
export function createStreamMetrics(registry: Registry, source: StreamGaugeSource) {
  const clients = new Gauge({
    name: 'sidecar_stream_clients',
    help: 'Subscribers connected to this process, by stream and transport (sse, ws).',
    labelNames: ['stream', 'transport'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.snapshot()) for (const t of ['sse', 'ws'] as const) this.set({ stream: s.stream, transport: t }, s.clients[t]);
    },
  });
  const lag = new Gauge({
    name: 'sidecar_stream_lag_events',
    help: 'Per stream, the most events one of its subscribers on this process is behind the head (written but not yet sent, or still to catch up).',
    labelNames: ['stream'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.snapshot()) this.set({ stream: s.stream }, s.lag);
    },
  });
  return {
    clients,
    lag,
    drops: new Counter({
      name: 'sidecar_stream_drops_total',
      help: 'Subscribers cut off by this process, by stream, transport and reason (slow_consumer, dead_peer, token_revoked).',
      labelNames: ['stream', 'transport', 'reason'] as const,
      registers: [registry],
    }),
    published: new Counter({
      name: 'sidecar_stream_events_published_total',
      help: 'Events appended to a stream through this process (POST …/events and outbox messages; duplicates not counted).',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    sent: new Counter({
      name: 'sidecar_stream_events_sent_total',
      help: 'Events written to subscribers by this process, by stream and transport.',
      labelNames: ['stream', 'transport'] as const,
      registers: [registry],
    }),
  };
}

export type StreamMetrics = ReturnType<typeof createStreamMetrics>;
