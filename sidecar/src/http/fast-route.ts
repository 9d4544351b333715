import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { bearerCheck } from './middleware/auth';
import { sendError } from './middleware/errors';
import { readJsonBody } from './middleware/json-body';
import { withRedisUnavailable } from './middleware/redis-unavailable';

/**
 * Hot authenticated JSON routes served by plain node:http in front of Express (the proxy): the
 * same Bearer check, body reading, error bodies and request metrics as the Express API, without
 * Express's per-request router, prototype swaps and response helpers, which cost a proxied call
 * as much CPU as the call itself. Every other request falls through to Express.
 */

export interface FastRoute {
  method: 'POST' | 'PUT' | 'GET';
  /** Express-style, `:name` for a whole segment, a last `*name` for the rest of the path; also the metrics label. */
  path: string;
  /**
   * `json` (default): the body is read and parsed before `handle`; `stream`: it is left unread
   * in `req`, for the handler to pipe (object uploads).
   */
  body?: 'json' | 'stream';
  /** Params decoded; `body` as the API's JSON parser left it (undefined without a body, or in `stream` mode). */
  handle(params: Record<string, string>, body: unknown, res: ServerResponse, req: IncomingMessage): Promise<void>;
}

export interface FastRouteDeps {
  token: string;
  log: Logger;
  metrics: Metrics;
  bodyLimit: number;
  bodyTimeoutMs: number;
}

interface Compiled {
  route: FastRoute;
  re: RegExp;
  names: string[];
}

/** As Express matches: case-insensitive, an optional trailing slash, any query string. */
function compile(route: FastRoute): Compiled {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) return names.push(seg.slice(1)), '([^/?]+)';
      if (seg.startsWith('*')) return names.push(seg.slice(1)), '([^?]+?)';
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, re: new RegExp(`^${source}/?(?:\\?|$)`, 'i'), names };
}

/** A request listener for the fast routes; returns false (untouched) for anything else. */
export function fastRoutes(routes: FastRoute[], d: FastRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const compiled = routes.map(compile);
  const authorized = bearerCheck(d.token);
  const count = (label: string, res: ServerResponse) => d.metrics.httpRequests.inc({ route: label, status: `${Math.floor(res.statusCode / 100)}xx` });

  async function serve(c: Compiled, m: RegExpExecArray, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const params: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        throw new AppError('invalid_request', 'The path holds a malformed percent-encoding.');
      }
      if (!authorized(req.headers.authorization)) throw new AppError('unauthenticated');
      const body = c.route.body === 'stream' ? undefined : await readJsonBody(req, d.bodyLimit, d.bodyTimeoutMs);
      await c.route.handle(params, body, res, req);
    } catch (err) {
      if (res.headersSent) {
        d.log.error({ err, method: req.method, path: c.route.path }, 'error after the response started');
        res.destroy();
        return;
      }
      sendError(withRedisUnavailable(err), req, res, d.log, c.route.path);
    }
  }

  return (req, res) => {
    const url = req.url ?? '';
    for (const c of compiled) {
      if (req.method !== c.route.method) continue;
      const m = c.re.exec(url);
      if (!m) continue;
      res.once('finish', () => count(c.route.path, res));
      void serve(c, m, req, res);
      return true;
    }
    return false;
  };
}
