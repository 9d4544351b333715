import { Counter } from 'prom-client';
import { Agent } from 'undici';
import type { ConnectionAuthInjector } from '../../connections/auth-headers';
import type { ConnectionStore } from '../../connections/store';
import { createSsrfGuard } from '../../delivery/ssrf';
import type { EndpointStore } from '../../inbound/endpoints';
import type { EventStore } from '../../inbound/store';
import type { Context, Module } from '../../module';
import { ConnectorManager, type ManagerOptions } from './manager';
import { connectorRoutes } from './routes';
import { ConnectorKeys, ConnectorStore } from './store';

export interface ConnectorModuleDeps {
  inbound: { endpoints: EndpointStore; events: EventStore };
  connections: { store: ConnectionStore; auth: ConnectionAuthInjector } | null;
}

/**
 * Inbound stream connectors (sidecar/README.md "Stream connectors"): the sidecar holds a
 * connection to a remote SSE or WebSocket source and hands its events to Frappe exactly as a
 * verified inbound webhook of the bound endpoint — the same durable queue, dedup, forwarder,
 * handlers and Integration Inbound Event log.
 */
export function createConnectorsModule(ctx: Context, deps: ConnectorModuleDeps, opts: ManagerOptions = {}): Module {
  const store = new ConnectorStore(ctx.redis, new ConnectorKeys(ctx.prefix), ctx.replicated);
  // The same SSRF guard as webhook URLs: checked on every address a connect resolves to.
  const guard = createSsrfGuard({ allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE, allowHosts: ctx.config.OUTBOUND_ALLOW_HOSTS });
  const agent = new Agent({ connect: { lookup: guard.lookup }, pipelining: 0 });
  const events = new Counter({
    name: 'sidecar_stream_connector_events_total',
    help: 'Remote events read by stream connectors held by this process, by connector and result (forwarded, duplicate, skipped).',
    labelNames: ['connector', 'result'] as const,
    registers: [ctx.metrics.registry],
  });
  const manager = new ConnectorManager(
    ctx.redis,
    store,
    {
      store, endpoints: deps.inbound.endpoints, events: deps.inbound.events, auth: deps.connections?.auth ?? null,
      agent, lookup: guard.lookup, checkHost: (h) => guard.checkHost(h), log: ctx.log,
      onEvent: (connector, result) => events.inc({ connector, result }),
    },
    ctx.log,
    { leaseMs: ctx.config.STREAM_CONNECTOR_LEASE_MS, tickMs: ctx.config.STREAM_CONNECTOR_TICK_MS, ...opts },
  );
  return {
    name: 'stream-connectors',
    routes({ private: r }) {
      connectorRoutes(r, { store, manager, checkHost: (h) => guard.checkHost(h), connections: deps.connections });
    },
    start: async () => manager.start(),
    stop: async () => {
      await manager.stop();
      await agent.close();
    },
    health: async () => ({ holder: manager.holder }),
  };
}
