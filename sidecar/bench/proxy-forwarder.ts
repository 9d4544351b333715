import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

/**
 * The proxy benchmark's ceiling, in its own process: the least any HTTP proxy in Node does per
 * call, with the sidecar's own parts (auth check, validation, policy, metrics, envelope) left
 * out. A node:http server reads the same request body, takes `path` from its JSON and forwards
 * a GET with the API key to the upstream through one keep-alive undici Agent (`dispatch()` with
 * a handler, as the sidecar sends), and answers with the upstream's status, type and bytes.
 * Upstream origin from argv[2]; reports its port over IPC.
 */
const upstream = process.argv[2]!;
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

/** Collects the answer and writes it back; undici's handler callbacks, no Readable per response. */
class Forward implements Dispatcher.DispatchHandler {
  private status = 502;
  private type = 'application/octet-stream';
  private chunks: Buffer[] = [];

  constructor(private readonly res: import('node:http').ServerResponse) {}

  onConnect(): void {}

  onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
    this.status = statusCode;
    for (let i = 0; raw && i + 1 < raw.length; i += 2) if (raw[i]!.toString().toLowerCase() === 'content-type') this.type = raw[i + 1]!.toString();
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const body = Buffer.concat(this.chunks);
    this.res.writeHead(this.status, { 'content-type': this.type, 'content-length': body.length }).end(body);
  }

  onError(err: Error): void {
    this.res.writeHead(502).end(err.message);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let path: unknown;
    try {
      path = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { path?: unknown }).path;
    } catch {
      path = undefined;
    }
    if (typeof path !== 'string' || !path.startsWith('/')) return void res.writeHead(400).end();
    agent.dispatch({ origin: upstream, path, method: 'GET', headers: { 'user-agent': 'bench-forwarder', 'x-api-key': 'bench-key' } }, new Forward(res));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
