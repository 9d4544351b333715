import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The streams benchmark's ceiling, in its own process: a bare broadcaster — plain node:http SSE
 * and `ws`, no auth, no Redis, no history. `POST /publish` with the event's data writes it to
 * every subscriber at once, framed as the sidecar frames it. What fan-out costs on this machine.
 */
const sse = new Set<ServerResponse>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const ws = new Set<WebSocket>();
let seq = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write('retry: 2000\n\n');
    sse.add(res);
    res.on('close', () => sse.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url === '/publish') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const id = `${Date.now()}-${seq++}`;
      const sseFrame = Buffer.from(`id: ${id}\nevent: bench\ndata: ${body}\n\n`);
      const wsFrame = Buffer.from(`{"id":"${id}","type":"bench","data":${body}}`);
      for (const r of sse) r.write(sseFrame);
      for (const w of ws) w.send(wsFrame, { binary: false });
      res.writeHead(202, { 'content-type': 'application/json' }).end(`{"ids":["${id}"]}`);
    });
    return;
  }
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (w) => {
    ws.add(w);
    w.on('close', () => ws.delete(w));
    w.on('error', () => {});
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
