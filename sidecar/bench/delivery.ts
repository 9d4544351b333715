/**
 * Outbound delivery benchmark (`npm run bench:delivery`; not a test). On the Redis at
 * REDIS_URL (default 127.0.0.1:6379), under fresh key prefixes that are deleted afterwards:
 *  (a) BullMQ ceiling: 20,000 no-op jobs, same concurrency, removeOnComplete;
 *  (b) sustained deliveries/s through a real sidecar process to a receiver process (204),
 *      1 endpoint and 100 endpoints, 20,000 messages each, timed from first POST to last arrival;
 *  (c) enqueue→arrival latency at a fixed 1,000 msg/s for 10 s;
 *  (d) the sidecar's RSS; and, for scale-out, (b) again with two sidecar processes.
 * The last line is JSON for scripts.
 */
import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { dropPrefix, uniquePrefix } from '../test/helpers';
import { children, cpuMsOf, forkListener, REDIS_URL, startBenchSidecar } from './processes';

const CONCURRENCY = Number(process.env.DELIVERY_CONCURRENCY ?? 200);
const N = 20_000;
const TOKEN = 'bench-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Children that must not outlive the benchmark, whatever way it ends. */

async function ceiling(): Promise<{ rate: number; cpuUsPerJob: number }> {
  const prefix = uniquePrefix('bench-ceiling');
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  try {
    for (let i = 0; i < N; i += 1000) {
      await queue.addBulk(Array.from({ length: 1000 }, (_, j) => ({ name: 'n', data: { i: i + j }, opts: { removeOnComplete: true } })));
    }
    let done = 0;
    let finished!: () => void;
    const all = new Promise<void>((ok) => (finished = ok));
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const worker = new Worker('noop', async () => {
      if (++done === N) finished();
    }, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, concurrency: CONCURRENCY, removeOnComplete: { count: 0 } });
    await all;
    const rate = N / ((performance.now() - started) / 1000);
    const cpu = process.cpuUsage(cpu0);
    await worker.close();
    return { rate, cpuUsPerJob: (cpu.user + cpu.system) / N };
  } finally {
    await queue.close();
    connection.disconnect();
    await dropPrefix(prefix, REDIS_URL);
  }
}

/** The receiver process and a request/response helper over IPC. */
async function startReceiver() {
  const { url, child } = await forkListener('delivery-receiver.ts');
  const ask = <T>(cmd: string) =>
    new Promise<T>((ok) => {
      child.once('message', (m) => ok(m as T));
      child.send({ cmd });
    });
  return { url, child, ask };
}

async function startSidecar(prefix: string) {
  const { url, child } = await startBenchSidecar(prefix, TOKEN, { OUTBOUND_ALLOW_PRIVATE: 'true', DELIVERY_CONCURRENCY: String(CONCURRENCY) });
  const call = async (method: string, path: string, json: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  /** CPU time (user + system, ms) the sidecar process has used so far: less noisy than a rate on a shared machine. */
  const cpuMs = () => cpuMsOf(child.pid!);
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const stop = async () => {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
    children.delete(child);
  };
  return { call, rssMb, cpuMs, stop };
}

type Sidecar = Awaited<ReturnType<typeof startSidecar>>;
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const message = (id: string, ep: string, i: number) => ({ id, endpoint_id: ep, event_type: 'order.created', payload: { id: i, total: 42.5, customer: 'ACME Corp', items: [{ sku: 'X-1', qty: 2 }] } });

/** `scs` share one prefix (scale-out): endpoints are set on the first, messages posted round-robin to all. */
async function throughput(scs: Sidecar[], rx: Receiver, endpoints: number, tag: string, n = N): Promise<{ rate: number; peakRss: number; cpuUsPerDelivery: number }> {
  const sc = scs[0]!;
  await rx.ask('reset');
  for (let e = 0; e < endpoints; e++) await sc.call('PUT', `/v1/endpoints/${tag}${e}`, { url: `${rx.url}/e/${e}`, signing: 'standard', secrets: ['whsec_' + Buffer.alloc(32, e + 1).toString('base64')] });
  const cpu0 = scs.reduce((t, x) => t + x.cpuMs(), 0);
  const started = performance.now();
  let peakRss = 0;
  const batches: Array<ReturnType<typeof message>[]> = [];
  for (let i = 0; i < n; i += 500) batches.push(Array.from({ length: 500 }, (_, j) => message(`${tag}-${i + j}`, `${tag}${(i + j) % endpoints}`, i + j)));
  // Four posters, as several Frappe workers would push.
  const posting = Promise.all(Array.from({ length: 4 }, async (_, w) => {
    for (let b = w; b < batches.length; b += 4) await scs[b % scs.length]!.call('POST', '/v1/messages', { messages: batches[b] });
  }));
  for (;;) {
    const { count } = await rx.ask<{ count: number }>('count');
    peakRss = Math.max(peakRss, ...scs.map((x) => x.rssMb()));
    if (count >= n) break;
    await sleep(50);
  }
  await posting;
  const cpuUsPerDelivery = ((scs.reduce((t, x) => t + x.cpuMs(), 0) - cpu0) * 1000) / n;
  return { rate: n / ((performance.now() - started) / 1000), peakRss, cpuUsPerDelivery };
}

async function latency(sc: Sidecar, rx: Receiver): Promise<{ p50: number; p99: number; max: number }> {
  await rx.ask('reset');
  await sc.call('PUT', '/v1/endpoints/lat', { url: `${rx.url}/lat`, signing: 'standard', secrets: ['whsec_' + Buffer.alloc(32, 9).toString('base64')] });
  const sentAt = new Map<string, number>();
  const perTick = 10;
  const ticks = 1000;
  const t0 = performance.now();
  const posts: Promise<unknown>[] = [];
  for (let t = 0; t < ticks; t++) {
    const wait = t0 + t * 10 - performance.now();
    if (wait > 0) await sleep(wait);
    const msgs = Array.from({ length: perTick }, (_, j) => message(`lat-${t * perTick + j}`, 'lat', t));
    const now = Date.now();
    for (const m of msgs) sentAt.set(m.id, now);
    posts.push(sc.call('POST', '/v1/messages', { messages: msgs }));
  }
  await Promise.all(posts);
  for (;;) {
    const { count } = await rx.ask<{ count: number }>('count');
    if (count >= ticks * perTick) break;
    await sleep(100);
  }
  const { arrivals } = await rx.ask<{ arrivals: Record<string, number> }>('arrivals');
  const lat = [...sentAt].map(([id, at]) => arrivals[id]! - at).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1]! };
}

async function main() {
  console.log(`delivery benchmark: ${N} messages, concurrency ${CONCURRENCY}, redis ${REDIS_URL}`);
  const { rate: ceilingRate, cpuUsPerJob: ceilingCpu } = await ceiling();
  console.log(`(a) BullMQ no-op ceiling: ${ceilingRate.toFixed(0)} jobs/s`);
  const prefix = uniquePrefix('bench-delivery');
  const rx = await startReceiver();
  const sc = await startSidecar(prefix);
  try {
    // Warm-up (JIT, connection pools), not measured.
    await throughput([sc], rx, 1, 'warm', 4000);
    const one = await throughput([sc], rx, 1, 'one');
    console.log(`(b) 1 endpoint: ${one.rate.toFixed(0)} deliveries/s`);
    const hundred = await throughput([sc], rx, 100, 'hund');
    console.log(`(b) 100 endpoints: ${hundred.rate.toFixed(0)} deliveries/s`);
    const lat = await latency(sc, rx);
    const rss = sc.rssMb();
    // Scale-out on the same machine: a second process on the same prefix (DESIGN §1).
    const sc2 = await startSidecar(prefix);
    await throughput([sc2], rx, 1, 'warm2', 4000);
    const pair = await throughput([sc, sc2], rx, 1, 'pair');
    await sc2.stop();
    console.log(`(b) 2 processes, 1 endpoint: ${pair.rate.toFixed(0)} deliveries/s`);
    const rows: Array<[string, string]> = [
      ['BullMQ no-op ceiling (jobs/s)', ceilingRate.toFixed(0)],
      ['BullMQ no-op CPU per job (µs)', ceilingCpu.toFixed(0)],
      ['deliveries/s, 1 endpoint', one.rate.toFixed(0)],
      ['deliveries/s, 100 endpoints', hundred.rate.toFixed(0)],
      ['ratio (1 endpoint / ceiling)', (one.rate / ceilingRate).toFixed(2)],
      ['deliveries/s, 2 processes, 1 endpoint', pair.rate.toFixed(0)],
      ['sidecar CPU per delivery, 1 endpoint (µs)', one.cpuUsPerDelivery.toFixed(0)],
      ['sidecar CPU per delivery, 100 endpoints (µs)', hundred.cpuUsPerDelivery.toFixed(0)],
      ['latency p50 at 1k msg/s (ms)', String(lat.p50)],
      ['latency p99 at 1k msg/s (ms)', String(lat.p99)],
      ['latency max at 1k msg/s (ms)', String(lat.max)],
      ['sidecar RSS peak under load (MB)', Math.max(one.peakRss, hundred.peakRss).toFixed(0)],
      ['sidecar RSS after run (MB)', rss.toFixed(0)],
    ];
    console.log('');
    for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v.padStart(8)}`);
    console.log(JSON.stringify({
      deliveries_per_s: Math.round(one.rate), deliveries_per_s_100_endpoints: Math.round(hundred.rate), ceiling_per_s: Math.round(ceilingRate),
      ratio: +(one.rate / ceilingRate).toFixed(2), deliveries_per_s_2_processes: Math.round(pair.rate), cpu_us_per_delivery: Math.round(one.cpuUsPerDelivery), ceiling_cpu_us_per_job: Math.round(ceilingCpu), p50_ms_at_1k: lat.p50, p99_ms_at_1k: lat.p99, rss_mb: Math.round(Math.max(one.peakRss, hundred.peakRss, rss)),
    }));
  } finally {
    await sc.stop();
    rx.child.kill();
    await dropPrefix(prefix, REDIS_URL);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
