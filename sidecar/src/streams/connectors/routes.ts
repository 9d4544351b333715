import type { Router } from 'express';
import type { ConnectionAuthInjector } from '../../connections/auth-headers';
import type { ConnectionStore } from '../../connections/store';
import { AppError, notFound } from '../../errors';
import { parseInput } from '../../http/validate';
import type { ConnectorManager } from './manager';
import { ConnectorId, ConnectorInput } from './schemas';
import type { ConnectorStore } from './store';

export interface ConnectorRouteDeps {
  store: ConnectorStore;
  manager: ConnectorManager;
  checkHost: (hostname: string) => void;
  connections: { store: ConnectionStore; auth: ConnectionAuthInjector } | null;
}

async function view(store: ConnectorStore, id: string) {
  const stored = await store.get(id);
  if (!stored) return null;
  const [status, history] = await Promise.all([store.status(id), store.history(id)]);
  return { id, ...stored.config, created_at: stored.created_at, updated_at: stored.updated_at, status, history };
}

/** `PUT/GET/DELETE /v1/stream-connectors/{id}` (Bearer auth). */
export function connectorRoutes(r: Router, d: ConnectorRouteDeps): void {
  r.put('/stream-connectors/:id', async (req, res) => {
    const id = parseInput(ConnectorId, req.params.id, 'id');
    const config = parseInput(ConnectorInput, req.body);
    const url = new URL(config.url);
    try {
      d.checkHost(url.hostname);
    } catch (err) {
      throw new AppError('invalid_request', `Invalid body: url ${(err as Error).message}`, [{ path: 'body.url', message: (err as Error).message }]);
    }
    if (config.connection_id && d.connections) {
      // A connection already pushed is checked now; one pushed later is checked at connect.
      const conn = await d.connections.store.get(config.connection_id);
      if (conn) d.connections.auth.checkOrigin(config.connection_id, new URL(String(conn.base_url)).origin, url);
    }
    await d.store.put(id, config);
    await d.manager.poke();
    res.json(await view(d.store, id));
  });

  r.get('/stream-connectors/:id', async (req, res) => {
    const id = parseInput(ConnectorId, req.params.id, 'id');
    const v = await view(d.store, id);
    if (!v) throw notFound(`Stream connector ${id}`);
    res.json(v);
  });

  r.delete('/stream-connectors/:id', async (req, res) => {
    const id = parseInput(ConnectorId, req.params.id, 'id');
    if (!(await d.store.delete(id))) throw notFound(`Stream connector ${id}`);
    await d.manager.poke();
    res.status(204).end();
  });
}
