import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

function parse(raw: string): RawResponse | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = raw.slice(0, end);
  return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: raw.slice(end + 4) };
}

function open(url: string): Socket {
  const u = new URL(url);
  return connect(Number(u.port), u.hostname);
}

const requestHead = (method: string, path: string, headers: Record<string, string>) =>
  `${method} ${path} HTTP/1.1\r\nhost: test\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

/**
 * Streams an endless chunked body as fast as the server takes it. Resolves once the server
 * closes the connection (or `capBytes` have been written, when it never does) with the
 * answer and how many body bytes were written.
 */
export function endlessBody(url: string, path: string, headers: Record<string, string>, capBytes = 64 * 1024 * 1024) {
  return new Promise<{ response: RawResponse | null; written: number; closedByServer: boolean }>((resolve) => {
    const socket = open(url);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]);
    let raw = '';
    let written = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ response: parse(raw), written, closedByServer });
    };
    const pump = () => {
      while (!done && written < capBytes) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (written >= capBytes) finish(false);
    };
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      socket.write(requestHead('POST', path, { ...headers, 'transfer-encoding': 'chunked' }));
      pump();
    });
  });
}

/**
 * Sends a request head declaring `contentLength` and only `sent` of the body, then stalls.
 * `response` resolves with the answer and whether the server then closed the connection.
 */
export function stalledBody(url: string, path: string, headers: Record<string, string>, contentLength: number, sent: Buffer) {
  const socket = open(url);
  let raw = '';
  socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.write(requestHead('POST', path, { ...headers, 'content-length': String(contentLength) }));
    socket.write(sent);
  });
  const response = new Promise<RawResponse & { closed: boolean }>((resolve, reject) => {
    socket.on('close', () => {
      const r = parse(raw);
      if (r) resolve({ ...r, closed: true });
      else reject(new Error('closed without an answer'));
    });
  });
  return { socket, response };
}

/** One request with its path sent verbatim (clients such as fetch resolve `.` and `..`). */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string> = {}, body = '') {
  return new Promise<RawResponse>((resolve, reject) => {
    const socket = open(url);
    let raw = '';
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const r = parse(raw);
      if (r) resolve(r);
      else reject(new Error('closed without an answer'));
    });
    socket.on('connect', () =>
      socket.write(requestHead(method, path, { ...headers, connection: 'close', 'content-length': String(Buffer.byteLength(body)) }) + body),
    );
  });
}
