/**
 * `npm run bench:streams`: SSE and WebSocket fan-out through the sidecar against a bare
 * broadcaster (bench/streams-ceiling.ts: node:http SSE + `ws`, no auth, no Redis), in one run.
 *  - sidecar: its own process (src/main.ts) on the Redis at REDIS_URL under a fresh prefix,
 *    deleted afterwards; one stream, one token;
 *  - clients: BENCH_SSE (5,000) SSE and BENCH_WS (1,000) WebSocket subscribers, spread over
 *    BENCH_LOAD_PROCS load processes (default: one per core; bench/streams-load.ts: raw sockets,
 *    hand-parsed SSE and WebSocket frames), all connected before publishing; their CPU per
 *    delivery is reported. More load processes than cores only measure the scheduler: on 2 cores,
 *    4 of them put 119 ms on the sidecar's p99 and 198 ms on the bare broadcaster's, 2 of them
 *    71–77 ms on both, with the same CPU per delivery;
 *  - publishing: BENCH_RATE (10) events/s for BENCH_SECONDS (30) s, each carrying its sequence
 *    number and publish time; latency = receive time − publish time (same clock), per delivery;
 *  - lost / duplicated: per subscriber, sequence numbers never seen / seen more than once;
 *  - rss_mb: the sidecar process's peak resident memory (VmHWM) over the run.
 * Not a test. The last line is JSON.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropPrefix } from '../test/helpers';
import { children, cpuMsOf, forkListener, REDIS_URL, startBenchSidecar } from './processes';

const HERE = dirname(fileURLToPath(import.meta.url));
const SSE = Number(process.env.BENCH_SSE ?? 5000);
const WS = Number(process.env.BENCH_WS ?? 1000);
const PROCS = Number(process.env.BENCH_LOAD_PROCS ?? availableParallelism());
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const EVENTS = RATE * SECONDS;
const ADMIN = 'bench-token-0123456789abcdef';
const STREAM_TOKEN = 'bench-stream-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One POST on a connection of its own: a pooled keep-alive connection the server is closing
 * just then (it sat idle while 6,000 subscribers connected) would fail the publish with
 * ECONNRESET on a loaded machine.
 */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}
const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

interface Report {
  hist: number[];
  deliveries: number;
  lost: number;
  duplicated: number;
  errors: number;
  closed: number;
  cpuMs: number;
}

/** Connects every subscriber (in the load processes), publishes, and gathers what they received. */
async function run(label: string, base: string, paths: { sse: string; ws: string }, headers: Record<string, string>, publish: (data: string) => Promise<void>, pid: number, memory?: () => Promise<string>) {
  const loads: ChildProcess[] = [];
  const began = Date.now();
  const ready = [];
  for (let i = 0; i < PROCS; i++) {
    const share = (n: number) => Math.floor(n / PROCS) + (i < n % PROCS ? 1 : 0);
    const job = { base, ssePath: paths.sse, wsPath: paths.ws, sse: share(SSE), ws: share(WS), headers, events: EVENTS };
    const c = fork(join(HERE, 'streams-load.ts'), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(c);
    loads.push(c);
    ready.push(new Promise<{ connected: number; errors: number }>((ok) => c.once('message', ok)));
  }
  const up = await Promise.all(ready);
  const connected = up.reduce((n, u) => n + u.connected, 0);
  console.log(`${label}: ${connected} of ${SSE + WS} subscribers connected in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  await sleep(1000);
  if (memory) console.log(`${label}: with every subscriber connected, before publishing: ${await memory()}`);
  let peakRss = status(pid, 'VmRSS');
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, status(pid, 'VmRSS'))), 500);
  const cpuBefore = cpuMsOf(pid);
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let seq = 0; seq < EVENTS; seq++) {
    const due = start + (seq * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(publish(`{"seq":${seq},"t":${Date.now()}}`));
  }
  await Promise.all(pending);
  const publishS = (Date.now() - start) / 1000;
  if (memory) console.log(`${label}: right after publishing: ${await memory()}`);
  await sleep(3000); // stragglers
  const cpuMs = cpuMsOf(pid) - cpuBefore;
  clearInterval(sampler);
  const reports = await Promise.all(
    loads.map((c) => new Promise<Report>((ok) => {
      c.once('message', (m: Report) => ok(m));
      c.send({ cmd: 'report' });
    })),
  );
  for (const c of loads) {
    c.kill('SIGKILL');
    children.delete(c);
  }
  const hist = new Array<number>(10_001).fill(0);
  for (const r of reports) r.hist.forEach((n, i) => (hist[i]! += n));
  const total = hist.reduce((a, b) => a + b, 0);
  const pct = (p: number) => {
    let acc = 0;
    for (let i = 0; i < hist.length; i++) if ((acc += hist[i]!) >= total * p) return i;
    return hist.length - 1;
  };
  const sum = (k: 'deliveries' | 'lost' | 'duplicated' | 'errors' | 'closed') => reports.reduce((n, r) => n + r[k], 0);
  const out = {
    connected, p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: pct(1),
    deliveries: sum('deliveries'), deliveries_per_s: Math.round(sum('deliveries') / publishS),
    lost: sum('lost'), duplicated: sum('duplicated'), errors: sum('errors'), closed_early: sum('closed'), peak_rss_mb: Math.round(peakRss),
    // The server's own CPU per delivery: steadier than latency on a shared machine.
    server_cpu_us_per_delivery: +((cpuMs * 1000) / Math.max(1, sum('deliveries'))).toFixed(2),
    // The load processes' CPU, from connected to report: whether the clients, not the server, set the pace.
    clients_cpu_us_per_delivery: +((reports.reduce((n, r) => n + r.cpuMs, 0) * 1000) / Math.max(1, sum('deliveries'))).toFixed(2),
  };
  console.log(`${label}: ${JSON.stringify(out)}`);
  return out;
}

async function main() {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`streams benchmark: ${SSE} SSE + ${WS} WS subscribers in ${PROCS} load processes, ${RATE} events/s for ${SECONDS} s; load average ${load}`);
  const prefix = `iabench:streams:${Date.now().toString(36)}`;
  const sc = await startBenchSidecar(prefix, ADMIN);
  const api = (path: string, method: string, body: unknown) =>
    fetch(`${sc.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    const put = await api('/v1/streams/bench', 'PUT', { token_hashes: [createHash('sha256').update(STREAM_TOKEN).digest('hex')], max_len: 10_000 });
    if (!put.ok) throw new Error(`PUT stream: ${put.status} ${await put.text()}`);
    const sidecar = await run(
      'sidecar', sc.url, { sse: '/v1/streams/bench/sse', ws: '/v1/streams/bench/ws' }, { authorization: `Bearer ${STREAM_TOKEN}` },
      async (data) => {
        const status = await post(`${sc.url}/v1/streams/bench/events`, { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, JSON.stringify({ events: [{ type: 'bench', data: JSON.parse(data) }] }));
        if (status !== 202) throw new Error(`publish: ${status}`);
      },
      sc.child.pid!,
      async () => {
        const text = await (await fetch(`${sc.url}/metrics`)).text();
        const mb = (name: string) => (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1024 ** 2).toFixed(0);
        return `rss ${mb('sidecar_process_resident_memory_bytes')} MiB, heap used ${mb('sidecar_nodejs_heap_size_used_bytes')} of ${mb('sidecar_nodejs_heap_size_total_bytes')} MiB, external ${mb('sidecar_nodejs_external_memory_bytes')} MiB`;
      },
    );
    const rssHwm = status(sc.child.pid!, 'VmHWM');
    sc.child.kill('SIGTERM');
    await new Promise((ok) => sc.child.once('exit', ok));
    const ceilingProc = await forkListener('streams-ceiling.ts');
    const ceiling = await run(
      'ceiling', ceilingProc.url, { sse: '/sse', ws: '/ws' }, {},
      async (data) => {
        await post(`${ceilingProc.url}/publish`, {}, data);
      },
      ceilingProc.child.pid!,
    );
    ceilingProc.child.kill('SIGKILL');
    const after = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`load average after: ${after}`);
    console.log(
      JSON.stringify({
        sse_clients: SSE, ws_clients: WS, connected: sidecar.connected,
        p50_ms: sidecar.p50_ms, p99_ms: sidecar.p99_ms, ceiling_p50_ms: ceiling.p50_ms, ceiling_p99_ms: ceiling.p99_ms,
        deliveries_per_s: sidecar.deliveries_per_s, ceiling_deliveries_per_s: ceiling.deliveries_per_s,
        ratio: +(sidecar.deliveries_per_s / ceiling.deliveries_per_s).toFixed(3),
        cpu_us_per_delivery: sidecar.server_cpu_us_per_delivery, ceiling_cpu_us_per_delivery: ceiling.server_cpu_us_per_delivery,
        clients_cpu_us_per_delivery: sidecar.clients_cpu_us_per_delivery, ceiling_clients_cpu_us_per_delivery: ceiling.clients_cpu_us_per_delivery,
        lost: sidecar.lost, duplicated: sidecar.duplicated, rss_mb: Math.round(Math.max(rssHwm, sidecar.peak_rss_mb)),
        load_before: load, load_after: after,
      }),
    );
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await dropPrefix(prefix, REDIS_URL);
  }
}

await main();
process.exit(0);
