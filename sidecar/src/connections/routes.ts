import type { Router } from 'express';
import type { FastRoute } from '../http/fast-route';
import { notFound } from '../errors';
import { parseInput } from '../http/validate';
import type { AuthorizationFlow } from '../oauth/authorize';
import type { CallGuard } from './guard';
import type { ProxyService } from './proxy';
import { ConnectionId, ConnectionInput, OAuthCallbackBody, OAuthStartBody, ProxyBody } from './schemas';
import type { ConnectionStore } from './store';

export interface ConnectionRouteDeps {
  store: ConnectionStore;
  guard: CallGuard;
  flow: AuthorizationFlow;
  /** Called after a PUT or DELETE so cached tokens of the old config are dropped. */
  changed(id: string): void;
}

/** `/v1/connections/{id}` (config, OAuth start) and `/v1/oauth/callback`; all Bearer-authenticated. */
export function connectionRoutes(r: Router, d: ConnectionRouteDeps): void {
  r.put('/connections/:id', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const { view } = await d.store.put(id, parseInput(ConnectionInput, req.body));
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

  r.post('/oauth/callback', async (req, res) => {
    res.json(await d.flow.callback(parseInput(OAuthCallbackBody, req.body)));
  });
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
