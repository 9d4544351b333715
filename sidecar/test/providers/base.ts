import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocal, type LocalServer } from '../local-server';

/**
 * What the provider stand-ins share: a node:http server on 127.0.0.1:0 that records every
 * request exactly as it arrived, and scripted faults. A fault is taken by the next request it
 * matches: `status` answers at once without doing the work (a 429 or 500 in front of the API);
 * `delay` does the work, then answers late (the answer lost to a client timeout).
 */

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() at arrival. */
  at: number;
}

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body: unknown; path?: RegExp }
  | { kind: 'delay'; ms: number; path?: RegExp };

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class StandinBase {
  url = '';
  readonly requests: SeenRequest[] = [];
  readonly faults: Fault[] = [];
  private readonly server = createServer((req, res) => this.receive(req, res));
  private listening: LocalServer | null = null;

  /** The provider's own routing; `null` is a 404 in its error shape. */
  protected handle(_req: SeenRequest): Reply | Promise<Reply> {
    return { status: 404, body: {} };
  }

  async start(): Promise<this> {
    this.listening = await listenLocal(this.server);
    this.url = this.listening.url;
    return this;
  }

  /** Requests to paths matching `re` (all when omitted). */
  seen(re?: RegExp): SeenRequest[] {
    return this.requests.filter((r) => !re || re.test(r.path));
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://standin');
      const seen: SeenRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      this.requests.push(seen);
      const at = this.faults.findIndex((f) => !f.path || f.path.test(seen.path));
      const fault = at >= 0 ? this.faults.splice(at, 1)[0] : undefined;
      if (fault?.kind === 'status') return send(res, { status: fault.status, body: fault.body, headers: fault.headers });
      Promise.resolve(this.handle(seen))
        .then(async (reply) => {
          if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
          if (!res.destroyed) send(res, reply);
        })
        .catch((err: Error) => send(res, { status: 500, body: { error: { message: err.message } } }));
    });
  }
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
}

export const newId = (prefix: string, n = 14) => `${prefix}${randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n)}`;

/**
 * A form body the way Stripe's servers read it: `a[b][0]=c` nests, numeric keys make arrays.
 * Written apart from the client's encoder, so a test compares two readings of the format.
 */
export function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = [key.replace(/\[.*$/, ''), ...[...key.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)];
    let node: Record<string, unknown> = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Record<string, unknown>;
    });
  }
  return arrays(root) as Record<string, unknown>;
}

function arrays(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length && keys.every((k, i) => k === String(i))) return keys.map((k) => arrays(o[k]));
  return Object.fromEntries(keys.map((k) => [k, arrays(o[k])]));
}
