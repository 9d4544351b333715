import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's webhook receiver, in its own process so it does not share an event loop with
 * the sidecar or the load generator: answers 204, records each `webhook-id`'s first arrival.
 * Talks to the parent over IPC: {cmd:'count'} → {count}, {cmd:'arrivals'} → {arrivals}, {cmd:'reset'}.
 */
const arrivals = new Map<string, number>();
let requests = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    const id = req.headers['webhook-id'] as string;
    if (!arrivals.has(id)) arrivals.set(id, Date.now());
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'count') process.send!({ count: arrivals.size, requests });
  else if (msg.cmd === 'arrivals') process.send!({ arrivals: Object.fromEntries(arrivals) });
  else if (msg.cmd === 'reset') {
    arrivals.clear();
    requests = 0;
    process.send!({ ok: true });
  }
});
process.on('disconnect', () => process.exit(0));
