import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router, type Express, type RequestHandler } from 'express';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { Module } from '../module';
import { fastRoutes } from './fast-route';
import { bearerAuth } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { jsonBody } from './middleware/json-body';
import { redisUnavailable } from './middleware/redis-unavailable';

export interface HttpDeps {
  token: string;
  log: Logger;
  metrics: Metrics;
  modules: Module[];
  health: () => Promise<{ ok: boolean; [k: string]: unknown }>;
  /** Deadline for reading an API request body (`BODY_TIMEOUT_MS`). */
  bodyTimeoutMs: number;
}

/** Largest API request body (a batch of messages). */
export const API_BODY_LIMIT = 5 * 1024 * 1024;

const ROUTE_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options']);

/**
 * The router a module registers its routes on, which also records each route's pattern in
 * `labels`. The label router runs before auth and body parsing, so a request is counted under
 * its route whether it succeeds, is refused before routing (401, 413, 415) or fails (5xx).
 */
function labelled(router: Router, labels: Router, base: string): Router {
  return new Proxy(router, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !ROUTE_METHODS.has(prop)) return value;
      return (path: string, ...handlers: RequestHandler[]) => {
        const label = `${base}${path}`;
        (labels as unknown as Record<string, (p: string, h: RequestHandler) => void>)[prop]!(label, (_req, res, next) => {
          res.locals.route = label;
          next('router');
        });
        return (value as (p: string, ...h: RequestHandler[]) => Router).call(target, path, ...handlers);
      };
    },
  });
}

/**
 * The route table: the modules' fast routes ahead of Express (see fast-route.ts), then public
 * routes (health, metrics, inbound, stream subscriptions, which authenticate themselves), then
 * Bearer auth and JSON parsing for the rest of /v1.
 */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      deps.metrics.httpRequests.inc({ route, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  });

  const labels = Router();
  app.use(labels);
  const root = labelled(Router(), labels, '');
  root.get('/healthz', async (_req, res) => {
    const h = await deps.health();
    res.status(h.ok ? 200 : 503).json(h);
  });
  root.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(root);

  const publicRouter = Router();
  const privateRouter = Router();
  for (const m of deps.modules) {
    m.routes?.({ public: labelled(publicRouter, labels, '/v1'), private: labelled(privateRouter, labels, '/v1') });
  }
  app.use('/v1', publicRouter);
  app.use('/v1', bearerAuth(deps.token), jsonBody(API_BODY_LIMIT, deps.bodyTimeoutMs), privateRouter);

  app.use(notFoundHandler);
  app.use(redisUnavailable);
  app.use(errorHandler(deps.log));

  const fast = fastRoutes(
    deps.modules.flatMap((m) => m.fastRoutes?.() ?? []),
    { token: deps.token, log: deps.log, metrics: deps.metrics, bodyLimit: API_BODY_LIMIT, bodyTimeoutMs: deps.bodyTimeoutMs },
  );
  const front = (req: IncomingMessage, res: ServerResponse) => {
    if (!fast(req, res)) app(req, res);
  };
  // Express's listen serves `this` (the app) with node:http; serving `front` keeps its error
  // handling and callback contract while the fast routes go first.
  const listen = app.listen;
  app.listen = ((...args: unknown[]) => (listen as (...a: unknown[]) => unknown).apply(front, args)) as Express['listen'];
  return app;
}
