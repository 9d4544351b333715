import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per sidecar instance (tests run several in one process), holding every
 * metric the domains record. Domains get the typed handles, never the registry.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sidecar_' });
  const httpRequests = new Counter({
    name: 'sidecar_http_requests_total',
    help: 'HTTP requests served, by route and status class.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'sidecar_deliveries_total',
    help: 'Delivery attempts, by result (succeeded, retrying, failed, deferred).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const deliveryLatency = new Histogram({
    name: 'sidecar_delivery_latency_seconds',
    help: 'Time from message accepted to delivered (2xx).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'sidecar_delivery_attempt_seconds',
    help: 'Duration of one HTTP delivery attempt.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'sidecar_queue_depth',
    help: 'Jobs in a queue, by queue and state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
  });
  const inbound = new Counter({
    name: 'sidecar_inbound_requests_total',
    help: 'Inbound webhook requests, by provider and result (accepted, duplicate, rejected).',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  });
  const inboundBodyBytes = new Gauge({
    name: 'sidecar_inbound_body_bytes',
    help: 'Bytes held by inbound request bodies being received or handled (capped by INBOUND_BODY_BUDGET_BYTES).',
    registers: [registry],
  });
  const forwarded = new Counter({
    name: 'sidecar_frappe_forwarded_total',
    help: 'Items handed to Frappe, by kind and result.',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, deliveries, deliveryLatency, attemptDuration, queueDepth, inbound, inboundBodyBytes, forwarded };
}

export type Metrics = ReturnType<typeof createMetrics>;
