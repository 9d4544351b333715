import { ByteBudget } from '../http/body';
import type { Context, Module } from '../module';
import { EndpointStore } from './endpoints';
import { Forwarder, type ForwarderOptions } from './forwarder';
import { inboundKeys } from './keys';
import { receiveHandler } from './receive';
import { inboundRoutes } from './routes';
import { EventStore } from './store';
import { CertStore, type CertStoreOptions } from './verify/certs';

/** SNS signs from `sns.<region>.amazonaws.com` (and `.com.cn` in China regions). */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Injectables; production uses the defaults, tests substitute certificates, hosts and clocks. */
export interface InboundOptions {
  /** Where PayPal/SNS certificates come from and which roots PayPal's must chain to. */
  certs?: CertStoreOptions;
  /** Host names allowed for SNS SigningCertURL and SubscribeURL. @defaultValue sns.<region>.amazonaws.com */
  snsHost?: RegExp;
  /** fetch for SNS subscription confirmation. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Clock in unix milliseconds. @defaultValue Date.now */
  now?: () => number;
  forwarder?: ForwarderOptions;
}

/**
 * Inbound provider webhooks (DESIGN §3): endpoint configs, the public receive route (verify,
 * dedup, store durably, 2xx), and — when a Frappe site is configured — the forwarder that hands
 * stored events to `receive_inbound_events`. Standalone, events stay readable via the API.
 */
export function createInboundModule(ctx: Context, opts: InboundOptions = {}): Module & { endpoints: EndpointStore; events: EventStore } {
  const keys = inboundKeys(ctx.prefix);
  const events = new EventStore(ctx.redis, keys, ctx.replicated);
  const endpoints = new EndpointStore(ctx.redis, keys, ctx.replicated, ctx.secrets, {
    certs: new CertStore(opts.certs),
    fetch: opts.fetch ?? fetch,
    snsHost: opts.snsHost ?? SNS_HOST,
  });
  const forwarder = ctx.frappe
    ? new Forwarder(
        { redis: ctx.redis, connections: ctx.connections, keys, store: events, frappe: ctx.frappe, realtime: ctx.realtime, metrics: ctx.metrics, log: ctx.log },
        opts.forwarder,
      )
    : null;

  return {
    name: 'inbound',
    endpoints,
    events,
    routes({ public: pub, private: priv }) {
      pub.post(
        '/inbound/:slug',
        receiveHandler({
          endpoints, events, metrics: ctx.metrics, log: ctx.log, now: opts.now ?? Date.now,
          budget: new ByteBudget(ctx.config.INBOUND_BODY_BUDGET_BYTES, (n) => ctx.metrics.inboundBodyBytes.set(n)), bodyTimeoutMs: ctx.config.BODY_TIMEOUT_MS,
        }),
      );
      inboundRoutes(priv, { endpoints, events, pendingStatus: ctx.frappe ? 'queued' : 'stored' });
    },
    start: async () => {
      await forwarder?.start();
    },
    stop: async () => {
      await forwarder?.stop();
    },
    health: async () => ({
      forwarder: forwarder ? 'running' : 'standalone',
      pending: await ctx.redis.xlen(keys.stream),
    }),
  };
}
