import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Per-connection metrics, registered on the sidecar's registry. Labels are connection ids and
 * fixed words only — never URLs, paths, headers or anything a secret could be in.
 */
export function createConnectionMetrics(registry: Registry) {
  return {
    calls: new Counter({
      name: 'sidecar_connection_calls_total',
      help: 'Proxied calls by connection and result (2xx…5xx = the upstream answered; otherwise the error code that stopped the call).',
      labelNames: ['connection', 'result'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'sidecar_connection_call_seconds',
      help: 'Duration of a proxied call, retries and waits included.',
      labelNames: ['connection'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'sidecar_connection_retries_total',
      help: 'Attempts repeated by the retry policy, by connection.',
      labelNames: ['connection'] as const,
      registers: [registry],
    }),
    breaker: new Gauge({
      name: 'sidecar_connection_breaker_state',
      help: 'Circuit breaker as this process last saw it: 0 closed, 1 half-open, 2 open.',
      labelNames: ['connection'] as const,
      registers: [registry],
    }),
    tokenRefreshes: new Counter({
      name: 'sidecar_connection_token_refreshes_total',
      help: 'OAuth token requests by connection and result (ok, invalid_grant, error).',
      labelNames: ['connection', 'result'] as const,
      registers: [registry],
    }),
  };
}

export type ConnectionMetrics = ReturnType<typeof createConnectionMetrics>;

export const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
