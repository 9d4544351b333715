import express from 'express';
import type { AddressInfo } from 'node:net';

/**
 * The proxy benchmark's Express ceiling, in its own process: the same JSON body parsing as the
 * sidecar's API and a fixed envelope, no Redis, no upstream call. On a shared machine it shows
 * what any Express service manages in the same minute, next to the proxy's figure.
 */
const ENVELOPE = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"object":"balance"}', body_encoding: 'utf8', attempts: 1, duration_ms: 0.5 };
const app = express();
app.use(express.json({ limit: '5mb' }));
app.post('/v1/connections/:id/proxy', (req, res) => {
  if (!req.body?.path) return void res.status(400).end();
  res.json(ENVELOPE);
});
const server = app.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
server.keepAliveTimeout = 30_000;
process.on('disconnect', () => process.exit(0));
