/**
 * `npm run bench:proxy`: calls through `POST /v1/connections/{id}/proxy` (an API-key connection)
 * against direct undici calls to the same upstream, same concurrency, in the same run.
 *  - upstream: its own process (bench/proxy-upstream.ts); sidecar: its own process (src/main.ts),
 *    or BENCH_PROCESSES of them (default 1) with the callers split between them, on the Redis at
 *    REDIS_URL under a fresh prefix, deleted afterwards;
 *  - throughput: closed loop, BENCH_CONCURRENCY (50) in flight, 5 s per run after a warm-up,
 *    direct and proxy interleaved twice; the mean of each is reported;
 *  - latency: open loop at a fixed BENCH_RATE (200) calls/s for 4 s each, p50/p99; overhead = p50 proxy − p50 direct;
 *  - a bare forwarder (bench/proxy-forwarder.ts, its own process) in each round: node:http
 *    reading the same body and forwarding with undici to the same upstream, without the
 *    sidecar's auth check, validation, policy, metrics or envelope — the ceiling any proxy in
 *    Node reaches on this machine in the same minute (`ceiling_per_s`, `ceiling_ratio`);
 *  - CPU µs per call: the sidecar's (and the forwarder's) user+system time per call; for a direct
 *    call, the load generator's time (one undici request) and the upstream process's time (one
 *    node:http request served): the two halves of what the sidecar does per call.
 * Not a test. The last line is JSON.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { Pool } from 'undici';
import { dropPrefix } from '../test/helpers';
import { cpuMsOf, forkListener, REDIS_URL, startBenchSidecar } from './processes';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
/**
 * Sidecar processes on one Redis prefix (a deployment may run several; the callers are split
 * between them). The forwarder ceiling runs as many. All share the machine's cores with the
 * caller and the upstream, so a second process helps only while one process's thread is the limit.
 */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 1);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 5000);
// Below the proxy's capacity on the shared 2-core machine, so latency is per-call cost, not queueing.
const RATE = Number(process.env.BENCH_RATE ?? 200);
const TOKEN = 'bench-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call; `caller` (0…CONCURRENCY−1) picks the process it goes to when there are several. */
type Call = (caller: number) => Promise<void>;

/** Closed loop: `CONCURRENCY` callers, each starting its next call when the last ends. */
async function throughput(call: Call, ms: number): Promise<{ perS: number; n: number }> {
  let n = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, caller) => {
      while (performance.now() < until) {
        await call(caller);
        n++;
      }
    }),
  );
  return { perS: n / ((performance.now() - started) / 1000), n };
}

/** Open loop at RATE calls/s: latencies in ms. */
async function latency(call: Call, ms: number): Promise<number[]> {
  const out: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; ; i++) {
    const due = start + (i * 1000) / RATE;
    if (due - start > ms) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const t = performance.now();
    pending.push(call(i % CONCURRENCY).then(() => void out.push(performance.now() - t)));
  }
  await Promise.all(pending);
  return out.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => +xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(2);

async function main() {
  console.log(`proxy benchmark: concurrency ${CONCURRENCY}, ${RUN_MS} ms runs, ${PROCESSES} sidecar process(es), redis ${REDIS_URL}`);
  const loadBefore = loadavg()[0]!;
  const prefix = `iabench:proxy:${Date.now().toString(36)}`;
  const upstream = await forkListener('proxy-upstream.ts');
  const ceilings = await Promise.all(Array.from({ length: PROCESSES }, () => forkListener('proxy-forwarder.ts', [upstream.url])));
  const scs = await Promise.all(Array.from({ length: PROCESSES }, () => startBenchSidecar(prefix, TOKEN, { OUTBOUND_ALLOW_PRIVATE: 'true' })));
  const sc = scs[0]!;
  const cpuOf = (ps: Array<{ child: ChildProcess }>) => ps.reduce((sum, p) => sum + cpuMsOf(p.child.pid!), 0);
  try {
    const put = await fetch(`${sc.url}/v1/connections/bench`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ base_url: upstream.url, auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'bench-key' } }),
    });
    if (put.status !== 200) throw new Error(`PUT connection: ${put.status} ${await put.text()}`);

    // Several processes: each caller keeps to one of them, as a load balancer's connections would.
    const share = Math.ceil(CONCURRENCY / PROCESSES);
    const sidecarPools = scs.map((p) => new Pool(p.url, { connections: share, pipelining: 1 }));
    const ceilingPools = ceilings.map((p) => new Pool(p.url, { connections: share, pipelining: 1 }));
    const upstreamPool = new Pool(upstream.url, { connections: CONCURRENCY, pipelining: 1 });
    const proxyBody = JSON.stringify({ method: 'GET', path: '/v1/balance' });
    const proxyCall: Call = async (caller) => {
      const r = await sidecarPools[caller % PROCESSES]!.request({ method: 'POST', path: '/v1/connections/bench/proxy', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: proxyBody });
      const text = await r.body.text();
      if (r.statusCode !== 200 || !text.includes('"status":200')) throw new Error(`proxy call: ${r.statusCode} ${text.slice(0, 200)}`);
    };
    const ceilingCall: Call = async (caller) => {
      const r = await ceilingPools[caller % PROCESSES]!.request({ method: 'POST', path: '/v1/connections/bench/proxy', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: proxyBody });
      const text = await r.body.text();
      if (r.statusCode !== 200 || !text) throw new Error(`forwarded call: ${r.statusCode} ${text.slice(0, 200)}`);
    };
    const directCall: Call = async () => {
      const r = await upstreamPool.request({ method: 'GET', path: '/v1/balance', headers: { 'x-api-key': 'bench-key', 'user-agent': 'integrations-app-sidecar' } });
      const text = await r.body.text();
      if (r.statusCode !== 200 || !text) throw new Error(`direct call: ${r.statusCode}`);
    };

    await throughput(proxyCall, 1500);
    await throughput(ceilingCall, 1000);
    await throughput(directCall, 1000);
    const proxy: number[] = [];
    const direct: number[] = [];
    const proxyCpu: number[] = [];
    const directCpu: number[] = [];
    const ceilingRates: number[] = [];
    const ceilingCpu: number[] = [];
    const upstreamCpu: number[] = [];
    const proxyClientCpu: number[] = [];
    for (let round = 0; round < 2; round++) {
      const c0 = process.cpuUsage();
      const u0 = cpuMsOf(upstream.child.pid!);
      const d = await throughput(directCall, RUN_MS);
      const c = process.cpuUsage(c0);
      direct.push(d.perS);
      directCpu.push((c.user + c.system) / d.n);
      upstreamCpu.push(((cpuMsOf(upstream.child.pid!) - u0) * 1000) / d.n);
      const s0 = cpuOf(scs);
      const pc0 = process.cpuUsage();
      const p = await throughput(proxyCall, RUN_MS);
      const pc = process.cpuUsage(pc0);
      proxy.push(p.perS);
      proxyCpu.push(((cpuOf(scs) - s0) * 1000) / p.n);
      proxyClientCpu.push((pc.user + pc.system) / p.n);
      const e0 = cpuOf(ceilings);
      const e = await throughput(ceilingCall, RUN_MS);
      ceilingRates.push(e.perS);
      ceilingCpu.push(((cpuOf(ceilings) - e0) * 1000) / e.n);
      console.log(`round ${round + 1}: direct ${d.perS.toFixed(0)}/s, proxy ${p.perS.toFixed(0)}/s, bare forwarder ${e.perS.toFixed(0)}/s`);
    }
    const directLat = await latency(directCall, 4000);
    const proxyLat = await latency(proxyCall, 4000);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const res = {
      proxy_per_s: Math.round(mean(proxy)),
      direct_per_s: Math.round(mean(direct)),
      ratio: +(mean(proxy) / mean(direct)).toFixed(2),
      p50_overhead_ms: +(pct(proxyLat, 50) - pct(directLat, 50)).toFixed(2),
      p99_ms: pct(proxyLat, 99),
      p50_ms: pct(proxyLat, 50),
      direct_p50_ms: pct(directLat, 50),
      direct_p99_ms: pct(directLat, 99),
      sidecar_cpu_us_per_call: Math.round(mean(proxyCpu)),
      direct_client_cpu_us_per_call: Math.round(mean(directCpu)),
      upstream_cpu_us_per_call: Math.round(mean(upstreamCpu)),
      proxy_client_cpu_us_per_call: Math.round(mean(proxyClientCpu)),
      ceiling_per_s: Math.round(mean(ceilingRates)),
      ceiling_ratio: +(mean(ceilingRates) / mean(direct)).toFixed(2),
      ceiling_cpu_us_per_call: Math.round(mean(ceilingCpu)),
      concurrency: CONCURRENCY,
      sidecar_processes: PROCESSES,
      latency_rate_per_s: RATE,
      load_1m: [+loadBefore.toFixed(2), +loadavg()[0]!.toFixed(2)],
    };
    console.log('');
    console.log(`proxied calls/s              ${res.proxy_per_s}`);
    console.log(`direct calls/s               ${res.direct_per_s}`);
    console.log(`ratio                        ${res.ratio}`);
    console.log(`bare forwarder (ceiling)     ${res.ceiling_per_s}/s, ratio ${res.ceiling_ratio}, ${res.ceiling_cpu_us_per_call} µs CPU per call`);
    console.log(`p50 / p99 at ${RATE}/s (ms)     proxy ${res.p50_ms} / ${res.p99_ms}, direct ${res.direct_p50_ms} / ${res.direct_p99_ms}`);
    console.log(`CPU per call (µs)            sidecar ${res.sidecar_cpu_us_per_call} (its caller ${res.proxy_client_cpu_us_per_call}); direct: undici client ${res.direct_client_cpu_us_per_call}, upstream server ${res.upstream_cpu_us_per_call}`);
    console.log(`load average (1 min)         ${res.load_1m[0]} at start, ${res.load_1m[1]} at end`);
    await Promise.all([...sidecarPools, ...ceilingPools, upstreamPool].map((p) => p.close()));
    console.log(JSON.stringify(res));
  } finally {
    const exited = Promise.all(scs.map((p) => new Promise((ok) => p.child.once('exit', ok))));
    scs.forEach((p) => p.child.kill('SIGTERM'));
    await Promise.race([exited, sleep(10_000)]);
    upstream.child.kill('SIGTERM');
    ceilings.forEach((p) => p.child.kill('SIGTERM'));
    await dropPrefix(prefix, REDIS_URL);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
