import { coalesceWrites } from '../delivery/coalesce';
import { DeliveryKeys } from '../delivery/keys';
import type { Context, Module } from '../module';
import { AuthorizationFlow } from '../oauth/authorize';
import { Disconnector } from '../oauth/disconnect';
import { RefreshLock } from '../oauth/lock';
import { Refresher, type RefresherOptions } from '../oauth/refresher';
import { TokenEndpoint } from '../oauth/token-endpoint';
import { TokenManager, type TokenManagerOptions } from '../oauth/tokens';
import { ALL_PROVIDERS } from '../providers';
import { ProviderRegistry } from '../providers/registry';
import { objectRoutes } from '../providers/objects-route';
import { OperationService } from '../providers/service';
import type { Provider } from '../providers/types';
import { AdmitCache } from './admit-cache';
import { ConnectionAuthInjector } from './auth-headers';
import { ConnectionFrappeSync } from './frappe-sync';
import { CallGuard } from './guard';
import { createHttpClient } from './http';
import { ConnectionKeys } from './keys';
import { createConnectionMetrics } from './metrics';
import { CallRecorder, readStats } from './recorder';
import { ProxyService } from './proxy';
import { connectionRoutes, proxyRoute } from './routes';
import { ConnectionStore } from './store';

export interface ConnectionsOptions {
  refresher?: RefresherOptions;
  tokens?: TokenManagerOptions;
  /** Deadline of a token request; the refresh lock's TTL is this plus 5 s. @defaultValue 10000 */
  tokenTimeoutMs?: number;
  /** How often counted calls and failures are written to Redis. @defaultValue 1000 */
  statsFlushMs?: number;
  /** The providers `/call` offers. @defaultValue ALL_PROVIDERS */
  providers?: readonly Provider[];
}

/**
 * Connections and OAuth 2: accounts at third-party APIs, configured by Frappe, called through
 * the proxy with auth injected under one outgoing policy; tokens obtained, refreshed and
 * written back to Frappe. See sidecar/README.md "Connections".
 */
export function createConnectionsModule(ctx: Context, opts: ConnectionsOptions = {}): Module & { store: ConnectionStore; tokens: TokenManager; refresher: Refresher; recorder: CallRecorder; auth: ConnectionAuthInjector; proxy: ProxyService } {
  const keys = new ConnectionKeys(ctx.prefix);
  const metrics = createConnectionMetrics(ctx.metrics.registry);
  const frappe = ctx.frappe ? new ConnectionFrappeSync(ctx.frappe) : null;
  const store = new ConnectionStore(ctx.redis, keys, ctx.secrets, frappe, ctx.log);
  const http = createHttpClient({ allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE, allowHosts: ctx.config.OUTBOUND_ALLOW_HOSTS });
  const tokenTimeoutMs = opts.tokenTimeoutMs ?? 10_000;
  const endpoint = new TokenEndpoint(http, { timeoutMs: tokenTimeoutMs });
  const lock = new RefreshLock(ctx.redis, tokenTimeoutMs + 5000);
  const lockKey = (id: string) => keys.lock(id);
  const tokens = new TokenManager({ store, endpoint, lock, lockKey, frappe, metrics, log: ctx.log }, opts.tokens);
  const disconnector = new Disconnector({ store, tokens, endpoint, lock, lockKey, lockWaitMs: tokenTimeoutMs + 5000, log: ctx.log });
  // The admit/record scripts run once per attempt: on their own connection, written once per
  // event-loop turn for all concurrent calls (as the delivery engine's gate), so a busy proxy
  // pays one write syscall per turn instead of one per call.
  const hot = coalesceWrites(ctx.connections.open('sidecar-connections', 'command', { enableAutoPipelining: true }));
  // Calls to connections without a rate limit are admitted from memory until a change is published.
  const admitted = new AdmitCache(ctx.connections.open('sidecar-connections-events', 'waiting', { autoResubscribe: false }), keys.events);
  const guard = new CallGuard(hot, keys, admitted);
  // Failed calls ride the delivery reports stream to Frappe (the Reporter drains it); standalone
  // there is nobody to read them, so they are not kept.
  const recorder = new CallRecorder(ctx.redis, keys, ctx.frappe ? new DeliveryKeys(ctx.prefix).reports : null, ctx.log, opts.statsFlushMs);
  const proxy = new ProxyService({ store, guard, http, tokens, metrics, recorder });
  const providers = new ProviderRegistry(opts.providers ?? ALL_PROVIDERS);
  const operations = new OperationService(providers, store, proxy);
  const flow = new AuthorizationFlow({ redis: ctx.redis, keys, ring: ctx.secrets, store, endpoint, tokens });
  const refresher = new Refresher({ store, tokens, log: ctx.log, maxMarginMs: 86_400_000 }, opts.refresher);

  return {
    name: 'connections',
    store,
    tokens,
    refresher,
    recorder,
    auth: new ConnectionAuthInjector(store, tokens),
    proxy,
    routes({ private: r }) {
      connectionRoutes(r, { store, guard, flow, disconnector, stats: (ids, minutes) => readStats(ctx.redis, keys, ids, minutes), changed: (id) => tokens.forget(id), providers, operations });
    },
    fastRoutes: () => [proxyRoute(proxy), ...objectRoutes(operations, { spoolDir: ctx.config.uploadSpoolDir })],
    async start() {
      refresher.start();
      recorder.start();
    },
    async stop() {
      await refresher.stop();
      await recorder.stop();
      await http.close();
      await hot.quit().catch(() => hot.disconnect());
      await admitted.close();
    },
  };
}
