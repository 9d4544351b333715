import { connect } from 'node:net';
import { WebSocket } from 'ws';

/**
 * One load process of the streams benchmark: opens its share of SSE and WebSocket subscribers,
 * and for every event received records publish→receive latency (the publisher's `t` in the
 * event data, same machine clock) and which `seq` each subscriber saw, so the parent can count
 * lost and duplicated deliveries. Talks to the parent over IPC.
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

/**
 * SSE over a raw TCP socket: the bytes are scanned for the event data as they come (chunked
 * framing and all), which keeps the load processes' own cost per delivery low — on a shared
 * 2-core machine they, not the server, would otherwise set the latency.
 */
function openSse(): Promise<void> {
  const sub = new Uint8Array(job.events);
  seen.push(sub);
  const url = new URL(`${job.base}${job.ssePath}`);
  const head = Object.entries({ host: url.host, accept: 'text/event-stream', ...job.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return new Promise((ok) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${head}\r\n`));
    let started = false;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
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
    });
    socket.on('error', () => {
      if (!started) {
        errors++;
        ok();
      }
    });
    socket.on('close', () => closed++);
  });
}

function openWs(): Promise<void> {
  const sub = new Uint8Array(job.events);
  seen.push(sub);
  return new Promise((ok) => {
    const ws = new WebSocket(`${job.base.replace(/^http/, 'ws')}${job.wsPath}`, { headers: job.headers, perMessageDeflate: false });
    ws.on('open', () => ok());
    ws.on('message', (d) => record(sub, String(d)));
    ws.on('error', () => {
      errors++;
      ok();
    });
    ws.on('close', () => closed++);
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
    process.send!({ hist: Array.from(hist), deliveries, lost, duplicated, errors, closed });
  }
});
process.on('disconnect', () => process.exit(0));
await connectAll();
process.send!({ connected: job.sse + job.ws - errors, errors });
