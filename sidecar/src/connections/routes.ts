import type { Router } from 'express';
import { notFound } from '../errors';
import { parseInput } from '../http/validate';
import type { AuthorizationFlow } from '../oauth/authorize';
import type { Disconnector } from '../oauth/disconnect';
import type { CallGuard } from './guard';
import type { ProxyService } from './proxy';
import { ConnectionId, ConnectionInput, OAuthCallbackBody, OAuthStartBody, ProxyBody } from './schemas';
import type { ConnectionStore } from './store';

export interface ConnectionRouteDeps {
  store: ConnectionStore;
  guard: CallGuard;
  proxy: ProxyService;
  flow: AuthorizationFlow;
  disconnector: Disconnector;
  /** Called after a PUT or DELETE so cached tokens of the old config are dropped. */
  changed(id: string): void;
}

/** `/v1/connections/{id}` (config, proxy, OAuth start) and `/v1/oauth/callback`; all Bearer-authenticated. */
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

  r.post('/connections/:id/proxy', async (req, res) => {
    const id = parseInput(ConnectionId, req.params.id, 'id');
    const text = JSON.stringify(await d.proxy.call(id, parseInput(ProxyBody, req.body)));
    // Written directly: res.json() would hash the body for an ETag no client of a proxy uses.
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
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

  r.post('/oauth/callback', async (req, res) => {
    res.json(await d.flow.callback(parseInput(OAuthCallbackBody, req.body)));
  });
}
