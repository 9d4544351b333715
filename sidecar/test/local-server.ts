import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';

// Not in helpers.ts: its imports load the whole sidecar (over a second a test file), and the
// stand-ins and browser suites that listen need none of it.

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Drops every connection, keep-alive and in-flight ones too, so closing never waits on a client. */
  close(): Promise<void>;
}

/**
 * What can listen: a node:http Server, or an app whose `listen` makes its own server —
 * createHttpApp's must be listened through, as it serves the fast routes in front of Express.
 */
export interface Listenable {
  listen(port: number, host: string, done: (err?: Error) => void): Server;
}

/** Listens on 127.0.0.1, on `port` or (0) a free one the system picks. */
export async function listenLocal(target: Listenable, port = 0): Promise<LocalServer> {
  const server = await new Promise<Server>((ok, fail) => {
    // Express 5 hands a listen error to the callback as well as emitting it.
    const s = target.listen(port, '127.0.0.1', (err) => {
      s.off('error', fail);
      if (err) fail(err);
      else ok(s);
    });
    s.once('error', fail);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** A port free on 127.0.0.1 a moment ago, for a process that must be given its port before it starts. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}
