/**
 * Sender transport comparison: undici Agent (what send.ts uses) against node:http with a
 * keep-alive Agent, both with the SSRF guard's lookup, a whole-request deadline and a capped
 * body read. The receiver is a node:http server in a child process so it does not share the
 * event loop. `npx tsx bench/sender.ts [requests] [concurrency]`
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { createSender, type SendRequest } from '../src/delivery/send';
import { createSsrfGuard } from '../src/delivery/ssrf';

const TOTAL = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 100);
const CAP = 64 * 1024;

const RECEIVER = `
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

type Send = (req: SendRequest) => Promise<{ statusCode: number | null }>;

/** The node:http alternative, kept here only to be measured. */
function createNodeHttpSender(allowHosts: string[]) {
  const guard = createSsrfGuard({ allowPrivate: false, allowHosts });
  const agent = new http.Agent({ keepAlive: true, lookup: guard.lookup } as http.AgentOptions);
  const send: Send = (req) =>
    new Promise((resolve) => {
      const url = new URL(req.url);
      guard.checkHost(url.hostname);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), req.timeoutMs);
      const done = (statusCode: number | null) => {
        clearTimeout(timer);
        resolve({ statusCode });
      };
      const r = http.request(url, { method: 'POST', agent, headers: req.headers, signal: controller.signal }, (res) => {
        let size = 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size >= CAP) res.destroy();
        });
        res.on('end', () => done(res.statusCode ?? null));
        res.on('error', () => done(res.statusCode ?? null));
      });
      r.on('error', () => done(null));
      r.end(req.body);
    });
  return { send, close: async () => agent.destroy() };
}

async function run(name: string, send: Send, url: string): Promise<number> {
  const body = JSON.stringify({ type: 'bench.ping', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(300) } });
  const req = { url, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_bench' }, body, timeoutMs: 10_000 };
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next++ < TOTAL) if ((await send(req)).statusCode !== 200) failed++;
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const rate = TOTAL / ((performance.now() - started) / 1000);
  console.log(`${name.padEnd(14)} ${Math.round(rate).toString().padStart(6)} req/s  (${TOTAL} requests, concurrency ${CONCURRENCY}, ${failed} failed)`);
  return rate;
}

async function main() {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${String(port).trim()}/hook`;
  const allowHosts = ['127.0.0.1'];
  const senders = {
    undici: createSender({ allowPrivate: false, allowHosts }),
    'node:http': createNodeHttpSender(allowHosts),
  };
  try {
    const results: Record<string, number[]> = { undici: [], 'node:http': [] };
    for (const [name, s] of Object.entries(senders)) await run(`${name} warm`, s.send, url);
    for (let round = 0; round < 2; round++) {
      for (const [name, s] of Object.entries(senders)) results[name]!.push(await run(name, s.send, url));
    }
    for (const [name, rates] of Object.entries(results)) {
      console.log(`best ${name}: ${Math.round(Math.max(...rates))} req/s`);
    }
  } finally {
    await Promise.all(Object.values(senders).map((s) => s.close()));
    child.kill();
  }
}

void main();
