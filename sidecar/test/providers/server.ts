import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocal } from '../local-server';

/** One request a provider stand-in received: raw bytes kept, so tests assert what went on the wire. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A scripted answer the stand-in gives instead of its normal one (429, 500…), used once. */
export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ProviderServer<S> {
  url: string;
  requests: SeenRequest[];
  /** What the stand-in accepted, in its own terms (messages sent…). */
  state: S;
  /** Answers to give, in order, before the normal behaviour resumes. */
  faults: Fault[];
  close(): Promise<void>;
}

export type Route<S> = (req: SeenRequest, res: ServerResponse, state: S) => void | Promise<void>;

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/** node:http on 127.0.0.1:0 running one provider's documented behaviour (`route`), faults first. */
export async function startProviderServer<S>(state: S, route: Route<S>): Promise<ProviderServer<S>> {
  const s: ProviderServer<S> = { url: '', requests: [], state, faults: [], close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      s.requests.push(seen);
      const fault = s.faults.shift();
      if (fault) return void res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body ?? '');
      Promise.resolve(route(seen, res, s.state)).catch((err: Error) => sendJson(res, 500, { message: `stand-in error: ${err.message}` }));
    });
  });
  ({ url: s.url, close: s.close } = await listenLocal(server));
  return s;
}

/** The Basic credentials of a request, or null. */
export function basicAuth(req: SeenRequest): { user: string; password: string } | null {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const raw = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = raw.indexOf(':');
  return i < 0 ? null : { user: raw.slice(0, i), password: raw.slice(i + 1) };
}
