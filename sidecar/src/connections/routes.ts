import type { Router } from 'express';
import type { FastRoute } from '../http/fast-route';
import { AppError, notFound } from '../errors';
import type { ProviderRegistry } from '../providers/registry';
import { CallBody } from '../providers/schemas';
import type { OperationService } from '../providers/service';
import { parseInput } from '../http/validate';
import type { AuthorizationFlow } from '../oauth/authorize';
import type { Disconnector } from '../oauth/disconnect';
import type { CallGuard } from './guard';
import type { ProxyService } from './proxy';
import { LATENCY_BUCKETS_MS, type MinuteStats } from './recorder';
import { ConnectionId, ConnectionInput, OAuthCallbackBody, OAuthStartBody, ProxyBody, StatsLookupBody, StatsQuery } from './schemas';
import type { ConnectionStore } from './store';

export interface ConnectionRouteDeps {
  store: ConnectionStore;
  guard: CallGuard;
  flow: AuthorizationFlow;
  disconnector: Disconnector;
  /** Per-minute stats of these connections for the last `minutes` minutes. */
  stats(ids: string[], minutes: number): Promise<Map<string, MinuteStats[]>>;
  /** Called after a PUT or DELETE so cached tokens of the old config are dropped. */
  changed(id: string): void;
  providers: ProviderRegistry;
  operations: OperationService;
}

/** `/v1/connections/{id}` (config, OAuth start) and `/v1/oauth/callback`; all Bearer-authenticated. */
export function connectionRoutes(r: Router, d: ConnectionRouteDeps): void {
  r.put('/connections/:id', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const input = parseInput(ConnectionInput, req.body);
    if (input.provider !== null && !d.providers.get(input.provider)) {
      throw new AppError('invalid_request', `Invalid body: provider ${input.provider} is not one of: ${d.providers.names().join(', ') || '(none)'}`, [{ path: 'body.provider', message: 'unknown provider' }]);
    }
    const { view } = await d.store.put(id, input);
    d.changed(id);
    res.json(view);
  });

  r.get('/connections/:id', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const view = await d.store.get(id);
    if (!view) throw notFound(`Connection ${id}`);
    res.json({ ...view, circuit: await d.guard.state(id) });
  });

  r.delete('/connections/:id', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const existed = await d.store.delete(id);
    d.changed(id);
    if (!existed) throw notFound(`Connection ${id}`);
    res.status(204).end();
  });

  r.post('/connections/:id/oauth/start', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const body = parseInput(OAuthStartBody, req.body);
    res.json(await d.flow.start(id, body.user, body.redirect_uri));
  });

  r.post('/connections/:id/disconnect', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    res.json(await d.disconnector.disconnect(id));
  });

  // Every connection's stats in one call: the desk charts them all at once.
  r.post('/connections/stats/lookup', async (req, res) => {
    const body = parseInput(StatsLookupBody, req.body);
    const [series, breakers] = await Promise.all([d.stats(body.ids, body.minutes), Promise.all(body.ids.map((id) => d.guard.state(id)))]);
    const connections: Record<string, unknown> = {};
    body.ids.forEach((id, i) => (connections[id] = statsView(series.get(id)!, breakers[i]!)));
    res.json({ at: new Date().toISOString(), minutes: body.minutes, latency_buckets_ms: [...LATENCY_BUCKETS_MS, null], connections });
  });

  r.get('/connections/:id/stats', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const { minutes } = parseInput(StatsQuery, req.query);
    if (!(await d.store.get(id))) throw notFound(`Connection ${id}`);
    const [series, breaker] = await Promise.all([d.stats([id], minutes), d.guard.state(id)]);
    res.json({ connection_id: id, at: new Date().toISOString(), minutes, latency_buckets_ms: [...LATENCY_BUCKETS_MS, null], ...statsView(series.get(id)!, breaker) });
  });

  r.post('/connections/:id/call', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    res.json(await d.operations.call(id, parseInput(CallBody, req.body)));
  });

  r.get('/providers', (_req, res) => {
    res.json({ providers: d.providers.catalogue() });
  });

  r.post('/oauth/callback', async (req, res) => {
    res.json(await d.flow.callback(parseInput(OAuthCallbackBody, req.body)));
  });
}

/** Totals over the window, the breaker now, and the minutes oldest first. */
function statsView(series: MinuteStats[], breaker: unknown) {
  const totals = { calls: 0, errors: 0, by_result: {} as Record<string, number> };
  for (const m of series) {
    totals.calls += m.calls;
    totals.errors += m.errors;
    for (const [r, n] of Object.entries(m.by_result)) totals.by_result[r] = (totals.by_result[r] ?? 0) + n;
  }
  return { breaker, totals, series };
}

/** `POST /v1/connections/{id}/proxy`, the hot path: served ahead of Express (see http/fast-route.ts). */
export function proxyRoute(proxy: ProxyService): FastRoute {
  return {
    method: 'POST',
    path: '/v1/connections/:id/proxy',
    async handle(params, body, res) {
      const id = parseInput(ConnectionId, params.id, 'id');
      const text = JSON.stringify(await proxy.call(id, parseInput(ProxyBody, body)));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
    },
  };
}
