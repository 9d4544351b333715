import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { listenLocal } from '../../test/local-server';
import { API_BODY_LIMIT, createHttpApp } from './server';

/** A fast route answers as the Express API would: same auth, body rules, errors and metrics. */
describe('fast routes ahead of Express', () => {
  const TOKEN = 'fast-token-0123456789abcdef';
  const metrics = createMetrics();
  let url = '';
  let close = async () => {};
  beforeAll(async () => {
    const app = createHttpApp({
      token: TOKEN,
      log: createLogger('silent'),
      metrics,
      health: async () => ({ ok: true }),
      bodyTimeoutMs: 10_000,
      modules: [
        {
          name: 'test',
          routes: ({ private: r }) => void r.get('/things/:id/echo', (_req, res) => void res.json({ via: 'express' })),
          fastRoutes: () => [
            {
              method: 'POST',
              path: '/v1/things/:id/echo',
              async handle(params, body, res) {
                if (params.id === 'boom') throw new AppError('circuit_open', 'open', undefined, 2.5);
                if (params.id === 'bug') throw new Error('a bug');
                const text = JSON.stringify({ id: params.id, body });
                res.writeHead(200, { 'content-type': 'application/json' }).end(text);
              },
            },
          ],
        },
      ],
    });
    ({ url, close } = await listenLocal(app));
  });
  afterAll(() => close());

  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = auth) => fetch(`${url}${path}`, { method: 'POST', headers, body });

  it('serves the route with decoded params, matching as Express does (case, trailing slash, query)', async () => {
    for (const path of ['/v1/things/a%20b/echo', '/V1/THINGS/a%20b/ECHO/', '/v1/things/a%20b/echo?x=1']) {
      const r = await post(path, '{"k":[1]}');
      expect(r.status, path).toBe(200);
      expect(await r.json()).toEqual({ id: 'a b', body: { k: [1] } });
    }
  });

  it('refuses as the API does: 401, 415, 413, 400 — with the catalogue body', async () => {
    const cases: Array<[number, string, Response]> = [
      [401, 'unauthenticated', await post('/v1/things/a/echo', '{}', { 'content-type': 'application/json' })],
      [401, 'unauthenticated', await post('/v1/things/a/echo', '{}', { ...auth, authorization: 'Bearer wrong' })],
      [415, 'unsupported_media_type', await post('/v1/things/a/echo', '{}', { ...auth, 'content-type': 'text/plain' })],
      [415, 'unsupported_media_type', await post('/v1/things/a/echo', '{}', { ...auth, 'content-type': 'application/json; charset=latin1' })],
      [413, 'payload_too_large', await post('/v1/things/a/echo', Buffer.alloc(API_BODY_LIMIT + 1, 0x20))],
      [400, 'invalid_json', await post('/v1/things/a/echo', '{oops')],
      [400, 'invalid_json', await post('/v1/things/a/echo', `${'['.repeat(150)}${']'.repeat(150)}`)],
      [400, 'invalid_request', await post('/v1/things/%E0%A4%A/echo', '{}')],
      [500, 'internal', await post('/v1/things/bug/echo', '{}')],
    ];
    for (const [status, code, r] of cases) {
      expect(r.status, code).toBe(status);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const open = await post('/v1/things/boom/echo', '{}');
    expect(open.status).toBe(503);
    expect(open.headers.get('retry-after')).toBe('3');
  });

  it('leaves every other request to Express', async () => {
    expect(await (await fetch(`${url}/v1/things/a/echo`, { headers: auth })).json()).toEqual({ via: 'express' });
    expect((await fetch(`${url}/v1/things/a/echo/more`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('counts its answers under the route pattern', async () => {
    const text = await metrics.registry.getSingleMetricAsString('sidecar_http_requests_total');
    // 2xx: three fast answers and the Express GET of the same pattern.
    expect(text).toMatch(/route="\/v1\/things\/:id\/echo",status="2xx"\} 4/);
    expect(text).toMatch(/route="\/v1\/things\/:id\/echo",status="4xx"\} 8/);
    expect(text).toMatch(/route="\/v1\/things\/:id\/echo",status="5xx"\} 2/);
  });
});
