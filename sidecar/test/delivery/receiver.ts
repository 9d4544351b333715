import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocal } from '../local-server';

/** One request as a test receiver saw it. */
export interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type ReceiverHandler = (req: IncomingMessage, body: string, res: ServerResponse, seen: Received[]) => void | Promise<void>;

export interface TestReceiver {
  url: string;
  received: Received[];
  /** Resolves once `predicate` holds for what arrived, or rejects after `timeoutMs`. */
  waitFor(predicate: (r: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A webhook receiver for tests: node:http on 127.0.0.1:0, records every request, 204 by default. */
export async function startReceiver(handler?: ReceiverHandler): Promise<TestReceiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ id: String(req.headers['webhook-id'] ?? ''), headers: req.headers, body, at: Date.now() });
      if (!handler) return void res.writeHead(204).end();
      Promise.resolve(handler(req, body, res, received)).catch(() => res.destroy());
    });
  });
  const { url, close } = await listenLocal(server);
  return {
    url: `${url}/hook`,
    received,
    async waitFor(predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > until) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close,
  };
}
