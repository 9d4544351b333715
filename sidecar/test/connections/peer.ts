import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocal } from '../local-server';

/** One request as the test peer saw it. */
export interface PeerRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type PeerHandler = (req: PeerRequest, res: ServerResponse, seen: PeerRequest[]) => void | Promise<void>;

export interface TestPeer {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  requests: PeerRequest[];
  handler: PeerHandler;
  close(): Promise<void>;
}

/** A third-party API stand-in for tests: node:http on 127.0.0.1:0, records requests; the handler can be swapped per test. */
export async function startPeer(handler: PeerHandler = (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')): Promise<TestPeer> {
  const peer: TestPeer = { url: '', requests: [], handler, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: PeerRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      peer.requests.push(r);
      Promise.resolve(peer.handler(r, res, peer.requests)).catch(() => res.destroy());
    });
  });
  ({ url: peer.url, close: peer.close } = await listenLocal(server));
  return peer;
}
