import { request } from 'node:http';
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

function openSse(): Promise<void> {
  const sub = new Uint8Array(job.events);
  seen.push(sub);
  return new Promise((ok) => {
    const req = request(`${job.base}${job.ssePath}`, { headers: { accept: 'text/event-stream', ...job.headers }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        errors++;
        res.resume();
        return ok();
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        const end = buf.lastIndexOf('\n\n');
        if (end < 0) return;
        record(sub, buf.slice(0, end));
        buf = buf.slice(end + 2);
      });
      res.on('close', () => closed++);
      ok();
    });
    req.on('error', () => {
      errors++;
      ok();
    });
    req.end();
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
