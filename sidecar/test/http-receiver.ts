import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLocal, type LocalServer } from './local-server';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface Receiver extends LocalServer {
  requests: ReceivedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  connections(): number;
}

/**
 * A real node:http server on 127.0.0.1:0. The handler runs after the request body has been
 * read (`req.body`); it owns the response, so it may stall, stream or destroy the socket.
 */
export async function startReceiver(
  handler: (req: ReceivedRequest, res: ServerResponse, socket: Socket) => void = (_, res) => res.end('ok'),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let accepted = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(r);
      handler(r, res, req.socket);
    });
  });
  server.on('connection', () => accepted++);
  return { ...(await listenLocal(server)), requests, connections: () => accepted };
}
