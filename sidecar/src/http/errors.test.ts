import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { createHttpApp } from './server';

describe('error handler', () => {
  const closers: (() => void)[] = [];
  afterEach(() => closers.splice(0).forEach((c) => c()));

  async function serve() {
    const app = createHttpApp({
      token: 'unused-token-0123456789',
      log: createLogger('silent'),
      metrics: createMetrics(),
      health: async () => ({ ok: true }),
      bodyTimeoutMs: 10_000,
      modules: [
        {
          name: 'test',
          routes: ({ public: pub }) => {
            pub.get('/half', (_req, res) => {
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.write('partial');
              throw new AppError('unavailable', 'broke mid-way', undefined, 30);
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
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    closers.push(() => server.closeAllConnections(), () => server.close());
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
});
