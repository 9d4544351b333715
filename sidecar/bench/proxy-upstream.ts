import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The proxy benchmark's third-party API, in its own process: checks the API key like a real
 * API would, answers a small JSON body. Reports its port over IPC.
 */
const BODY = JSON.stringify({ object: 'balance', available: [{ amount: 4200, currency: 'usd' }], livemode: false });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.headers['x-api-key'] !== 'bench-key') return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) }).end(BODY);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
