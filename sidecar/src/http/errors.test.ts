import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { listenLocal, type LocalServer } from '../../test/local-server';
import { createHttpApp } from './server';

describe('error handler', () => {
  const servers: LocalServer[] = [];
  afterEach(() => Promise.all(servers.splice(0).map((s) => s.close())));

  const metrics = createMetrics();

  async function serve() {
    const app = createHttpApp({
      token: 'unused-token-0123456789',
      log: createLogger('silent'),
      metrics,
      health: async () => ({ ok: true }),
      bodyTimeoutMs: 10_000,
      modules: [
        {
          name: 'test',
          routes: ({ public: pub, private: priv }) => {
            priv.post('/things/:id', (_req, res) => void res.status(201).json({}));
            pub.get('/half', (_req, res) => {
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.write('partial');
              throw new AppError('unavailable', 'broke mid-way', undefined, 30);
            });
            pub.get('/flaky/:id', (req, res) => {
              if (req.query.fail === 'bug') throw new Error('a bug');
              if (req.query.fail === 'down') throw new AppError('unavailable');
              res.json({ ok: true });
            });
            pub.get('/late', (_req, res) => {
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.write('partial');
              throw new Error('bug after the headers went out');
            });
          },
        },
      ],
    });
    const server = await listenLocal(app);
    servers.push(server);
    return server.url;
  }

  it('closes a response whose headers were already sent instead of leaving it hanging', async () => {
    const url = await serve();
    for (const path of ['/half', '/late']) {
      const res = await fetch(`${url}/v1${path}`, { signal: AbortSignal.timeout(3000) });
      expect(res.status).toBe(200);
      // The body is cut off (connection closed), never a timeout.
      const err = await res.text().then(() => null, (e: Error) => e);
      expect(err, path).toBeInstanceOf(Error);
      expect(err?.name, path).not.toBe('TimeoutError');
    }
  });

  it('counts every answer of a route under one label, whatever the outcome and however early it was refused', async () => {
    const url = await serve();
    for (const q of ['', '?fail=bug', '?fail=down']) await fetch(`${url}/v1/flaky/1${q}`);
    const auth = { authorization: 'Bearer unused-token-0123456789', 'content-type': 'application/json' };
    await fetch(`${url}/v1/things/a`, { method: 'POST', headers: auth, body: '{}' });
    await fetch(`${url}/v1/things/a`, { method: 'POST', body: '{}' });
    await fetch(`${url}/v1/things/a`, { method: 'POST', headers: auth, body: '{oops' });
    await fetch(`${url}/healthz`);
    await fetch(`${url}/nowhere`);
    const text = await metrics.registry.getSingleMetricAsString('sidecar_http_requests_total');
    const series = [...text.matchAll(/^sidecar_http_requests_total\{route="([^"]*)",status="(\dxx)"\} (\d+)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(series.sort()).toEqual(
      ['/healthz 2xx 1', '/v1/flaky/:id 2xx 1', '/v1/flaky/:id 5xx 2', '/v1/things/:id 2xx 1', '/v1/things/:id 4xx 2', 'unmatched 4xx 1'].sort(),
    );
  });
});
