/**
 * A remote event source for the stream connector tests, run as its own process so a test can
 * kill -9 it mid-stream and start it again: `node --import tsx remote-source.ts <port> <sse|ws>
 * <count> <interval_ms> <resume|noresume>`. Event n (1..count) is `{"id":"e<n>","type":
 * "order.created","n":n}`, SSE id `n`. With `resume` it continues after the client's
 * Last-Event-ID (SSE) or `?since=e<n>` (WebSocket); with `noresume` every connection starts at
 * event 1 again. Each connection is logged on stdout as `connect <resume point or ->`.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const [port, transport, count, interval, mode] = process.argv.slice(2) as [string, 'sse' | 'ws', string, string, string];
const total = Number(count);
const event = (n: number) => JSON.stringify({ id: `e${n}`, type: 'order.created', n });

function startAt(resume: string | null): number {
  if (mode !== 'resume' || !resume) return 1;
  const n = Number(resume.replace(/^e/, ''));
  return Number.isInteger(n) ? n + 1 : 1;
}

const server = createServer((req, res) => {
  if (transport !== 'sse' || !req.url?.startsWith('/events')) return void res.writeHead(404).end();
  const resume = (req.headers['last-event-id'] as string | undefined) ?? null;
  console.log(`connect ${resume ?? '-'} auth=${req.headers.authorization ?? '-'}`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': hello\n\n');
  let n = startAt(resume);
  const t = setInterval(() => {
    if (n > total) return void res.write(': idle\n\n');
    res.write(`id: ${n}\nevent: order\ndata: ${event(n)}\n\n`);
    n++;
  }, Number(interval));
  req.on('close', () => clearInterval(t));
});

if (transport === 'ws') {
  const wss = new WebSocketServer({ server, path: '/events' });
  wss.on('connection', (ws, req) => {
    const since = new URL(req.url ?? '/', 'http://x').searchParams.get('since');
    console.log(`connect ${since ?? '-'} auth=${req.headers.authorization ?? '-'}`);
    let n = startAt(since);
    const t = setInterval(() => {
      if (n <= total) ws.send(event(n++));
    }, Number(interval));
    ws.on('close', () => clearInterval(t));
  });
}

server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
