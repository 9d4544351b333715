import { createServer, request, type Server } from 'node:http';
import { listenLocal } from '../local-server';

export interface FaultProxy {
  url: string;
  /** Requests seen, as `METHOD path?query`. */
  seen: string[];
  /** Their headers, in the same order. */
  headers: Array<Record<string, string | string[] | undefined>>;
  close(): Promise<void>;
}

/**
 * An HTTP relay in front of a real peer (moto) that drops the connection of every request
 * `drop` picks after part of its body arrived, as a peer failing mid-upload does; the rest pass
 * through untouched (Host header included, so signatures still verify at the peer).
 */
export async function startFaultProxy(target: string, drop: (method: string, url: string) => boolean): Promise<FaultProxy> {
  const seen: string[] = [];
  const headers: FaultProxy['headers'] = [];
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    headers.push(req.headers);
    if (drop(req.method!, req.url!)) {
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 1024 * 1024) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const { url, close } = await listenLocal(server);
  return { url, seen, headers, close };
}
