import express, { Router, type Express } from 'express';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { Module } from '../module';
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
}

/**
 * The route table: public routes first (health, metrics, inbound, stream subscriptions, which
 * authenticate themselves), then Bearer auth and JSON parsing for the rest of /v1.
 */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      deps.metrics.httpRequests.inc({ route: `${req.baseUrl}${route}`, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const h = await deps.health();
    res.status(h.ok ? 200 : 503).json(h);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const publicRouter = Router();
  const privateRouter = Router();
  for (const m of deps.modules) m.routes?.({ public: publicRouter, private: privateRouter });
  app.use('/v1', publicRouter);
  app.use('/v1', bearerAuth(deps.token), ...jsonBody('5mb'), privateRouter);

  app.use(notFoundHandler);
  app.use(redisUnavailable);
  app.use(errorHandler(deps.log));
  return app;
}
