import { connect, type Socket } from 'node:net';

/**
 * One load process of the streams benchmark: opens its share of SSE and WebSocket subscribers,
 * and for every event received records publish→receive latency (the publisher's `t` in the
 * event data, same machine clock) and which `seq` each subscriber saw, so the parent can count
 * lost and duplicated deliveries, and its own CPU time from connected to report (so a run shows
 * whether the clients kept up). Talks to the parent over IPC.
 */
interface Job {
  base: string;
  ssePath: string;
  wsPath: string;
  sse: number;
  ws: number;
  headers: Record<string, string>;
  events: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
/** Latency histogram in 1 ms buckets, the last one "≥ 10 s". */
const hist = new Uint32Array(10_001);
const seen: Uint8Array[] = [];
let deliveries = 0;
let errors = 0;
let closed = 0;
const FRAME = /"seq":(\d+),"t":(\d+)/g;

function record(sub: Uint8Array, text: string) {
  const now = Date.now();
  FRAME.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = FRAME.exec(text))) {
    const seq = Number(m[1]);
    if (seq < sub.length && sub[seq]! < 255) sub[seq]!++;
    hist[Math.min(10_000, Math.max(0, now - Number(m[2])))]!++;
    deliveries++;
  }
}

/** One read buffer for every socket of this process: each read is handled before the next. */
const READ = Buffer.allocUnsafe(256 * 1024);

/**
 * A raw TCP connection whose reads land in READ and go straight to `onBytes` (`onread`): no
 * Buffer and no stream 'data' event per read, which keeps the load processes' own cost per
 * delivery low — on a shared 2-core machine they, not the server, would otherwise set the
 * latency (both the sidecar and the ceiling are measured with these same clients).
 */
function rawConnect(url: URL, request: string, onBytes: (buf: Buffer, n: number) => void, onError: () => void): Socket {
  const socket = connect({ port: Number(url.port), host: url.hostname, onread: { buffer: READ, callback: (n) => (onBytes(READ, n), true) } }, () => socket.write(request));
  socket.on('error', onError);
  socket.on('close', () => closed++);
  return socket;
}

const requestHead = (url: URL, extra: Record<string, string>) =>
  `GET ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries({ host: url.host, ...extra, ...job.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

/** SSE: the bytes are scanned for the event data as they come. */
function openSse(): Promise<void> {
  const sub = new Uint8Array(job.events);
  seen.push(sub);
  const url = new URL(`${job.base}${job.ssePath}`);
  return new Promise((ok) => {
    let started = false;
    let tail = '';
    const socket = rawConnect(url, requestHead(url, { accept: 'text/event-stream' }), (buf, n) => {
      const text = tail + buf.toString('latin1', 0, n);
      if (!started) {
        if (!text.includes('\r\n\r\n')) return void (tail = text);
        started = true;
        if (!text.startsWith('HTTP/1.1 200')) {
          errors++;
          socket.destroy();
          return ok();
        }
        ok();
      }
      // A frame cut by a TCP segment boundary is completed by the next read.
      const end = text.lastIndexOf('\n\n');
      if (end < 0) return void (tail = text);
      record(sub, text.slice(0, end));
      tail = text.slice(end + 2);
    }, () => {
      if (!started) {
        errors++;
        ok();
      }
    });
  });
}

/** The pong a client sends for a ping: masked (as client frames must be) with the all-zero key. */
function pong(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/**
 * WebSocket: the RFC 6455 handshake and the server's (unmasked) frames parsed by hand; text
 * frames are scanned like SSE, pings answered (the sidecar closes peers that stop answering).
 */
function openWs(): Promise<void> {
  const sub = new Uint8Array(job.events);
  seen.push(sub);
  const url = new URL(`${job.base}${job.wsPath}`);
  const head = requestHead(url, { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' });
  return new Promise((ok) => {
    let started = false;
    let rest: Buffer | null = null;
    const socket = rawConnect(url, head, (buf, n) => {
      let data = rest ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
      rest = null;
      if (!started) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return void (rest = Buffer.from(data));
        started = true;
        if (!data.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) {
          errors++;
          socket.destroy();
          return ok();
        }
        ok();
        data = data.subarray(end + 4);
      }
      let at = 0;
      while (data.length - at >= 2) {
        const opcode = data[at]! & 0x0f;
        let len = data[at + 1]! & 0x7f;
        let start = at + 2;
        if (len === 126) {
          if (data.length - at < 4) break;
          len = data.readUInt16BE(at + 2);
          start = at + 4;
        } else if (len === 127) {
          if (data.length - at < 10) break;
          len = Number(data.readBigUInt64BE(at + 2));
          start = at + 10;
        }
        if (data.length < start + len) break;
        if (opcode === 1) record(sub, data.toString('latin1', start, start + len));
        else if (opcode === 9) socket.write(pong(Buffer.from(data.subarray(start, start + len))));
        else if (opcode === 8) socket.destroy();
        at = start + len;
      }
      // A frame cut by a TCP segment boundary waits for the rest (copied: READ is reused).
      if (at < data.length) rest = Buffer.from(data.subarray(at));
    }, () => {
      if (!started) {
        errors++;
        ok();
      }
    });
  });
}

async function connectAll() {
  const tasks: Array<() => Promise<void>> = [
    ...Array.from({ length: job.sse }, () => openSse),
    ...Array.from({ length: job.ws }, () => openWs),
  ];
  // A few hundred handshakes at a time: the listen backlog and the sidecar's Redis look-ups stay reasonable.
  for (let i = 0; i < tasks.length; i += 200) await Promise.all(tasks.slice(i, i + 200).map((t) => t()));
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'report') {
    let lost = 0;
    let duplicated = 0;
    for (const sub of seen) for (const c of sub) c === 0 ? lost++ : (duplicated += c - 1);
    const cpu = process.cpuUsage(cpuAtConnected);
    process.send!({ hist: Array.from(hist), deliveries, lost, duplicated, errors, closed, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
process.on('disconnect', () => process.exit(0));
await connectAll();
const cpuAtConnected = process.cpuUsage();
process.send!({ connected: job.sse + job.ws - errors, errors });
