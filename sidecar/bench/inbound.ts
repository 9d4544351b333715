/**
 * Inbound receive benchmark (not a test): `npm run bench:inbound` from the repo root.
 * One run measures (a) a bare Express server that reads the raw body and answers 200 — the
 * ceiling on this machine — and (b) the sidecar's Stripe-verified `POST /v1/inbound/{slug}`
 * in standalone mode on a fresh Redis prefix (deleted afterwards). Each server runs in its own
 * child process so autocannon does not share its event loop; both get the same precomputed,
 * distinct Stripe-signed deliveries, so the sidecar measures the accepted path, not dedup.
 * Prints a table and, as the last line, {"inbound_per_s","ceiling_per_s","ratio","p99_ms"}.
 * Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_CONNECTIONS 50, BENCH_DURATION_S 10.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import express from 'express';
import Stripe from 'stripe';
import { startSidecar } from '../src/app';
import { loadConfig } from '../src/config';
import { dropPrefix } from '../test/helpers';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 2;
const TOKEN = 'bench-token-0123456789abcdef';
const SECRET = 'whsec_bench_secret_0123456789';
const SLUG = 'bench-stripe';

/** Child role: a bare Express server with the same body handling budget (raw, 1 MiB). */
async function serveEcho(): Promise<void> {
  const app = express();
  app.post('/v1/inbound/:slug', express.raw({ type: () => true, limit: '1mb' }), (_req, res) => {
    res.status(200).json({ accepted: 1, duplicates: 0 });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

/** Child role: the real sidecar, standalone, on the given prefix. */
async function serveSidecar(prefix: string): Promise<void> {
  const config = loadConfig({
    PORT: '0', REDIS_URL, REDIS_PREFIX: prefix, SIDECAR_TOKEN: TOKEN, LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-bench-')),
  });
  const sc = await startSidecar(config, { frappe: null });
  process.stdout.write(`${JSON.stringify({ url: sc.url })}\n`);
  process.on('SIGTERM', () => void sc.stop().then(() => process.exit(0)));
}

function startChild(role: string, ...args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), role, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && line) ok({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => fail(new Error(`${role} server exited with ${code}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.removeAllListeners('exit');
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
}

/** Enough distinct signed deliveries that no run wraps around into duplicates. */
function signedDeliveries(n: number): { body: string; sig: string }[] {
  const stripe = new Stripe('sk_test_unused');
  const t = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const body = `{"id":"evt_bench_${i}","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_${i}","amount":${1000 + (i % 9000)},"currency":"usd"}}}`;
    return { body, sig: stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t }) };
  });
}

async function load(url: string, deliveries: { body: string; sig: string }[], start: number, durationS: number) {
  let next = start;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: `/v1/inbound/${SLUG}`,
        setupRequest: (req) => {
          const d = deliveries[next++ % deliveries.length]!;
          return { ...req, body: d.body, headers: { 'content-type': 'application/json', 'stripe-signature': d.sig } };
        },
      },
    ],
  });
  return { result, used: next - start };
}

const row = (name: string, r: Result) =>
  `${name.padEnd(28)} ${r.requests.average.toFixed(0).padStart(9)} ${r.latency.p50.toFixed(1).padStart(8)} ${r.latency.p99.toFixed(1).padStart(8)} ` +
  `${String(r.errors + r.timeouts).padStart(7)} ${String(r.non2xx).padStart(7)}`;

async function main(): Promise<void> {
  const prefix = `iabench:${process.pid}:${Date.now().toString(36)}`;
  // 2 runs × (warm-up + measured) per target at an optimistic 15k req/s, without wrapping.
  const deliveries = signedDeliveries(Math.ceil(15_000 * (WARMUP_S + DURATION_S)));
  const echo = await startChild('echo');
  const sidecar = await startChild('sidecar', prefix);
  try {
    const put = await fetch(`${sidecar.url}/v1/inbound-endpoints/${SLUG}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'stripe', secret: SECRET }),
    });
    if (put.status !== 200) throw new Error(`PUT endpoint answered ${put.status}`);

    await load(echo.url, deliveries, 0, WARMUP_S);
    const ceiling = (await load(echo.url, deliveries, 0, DURATION_S)).result;
    const warm = await load(sidecar.url, deliveries, 0, WARMUP_S);
    const inbound = (await load(sidecar.url, deliveries, warm.used, DURATION_S)).result;
    const stats = (await (
      await fetch(`${sidecar.url}/v1/inbound-endpoints/${SLUG}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { stats: { accepted: number; rejected: number; duplicates: number } };

    process.stdout.write(`\ninbound receive benchmark: ${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up\n`);
    process.stdout.write(`${'target'.padEnd(28)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'non2xx'.padStart(7)}\n`);
    process.stdout.write(`${row('express raw echo (ceiling)', ceiling)}\n${row('sidecar stripe verify+store', inbound)}\n`);
    process.stdout.write(`sidecar endpoint stats: accepted ${stats.stats.accepted}, duplicates ${stats.stats.duplicates}, rejected ${stats.stats.rejected}\n`);
    const out = {
      inbound_per_s: Math.round(inbound.requests.average),
      ceiling_per_s: Math.round(ceiling.requests.average),
      ratio: Number((inbound.requests.average / ceiling.requests.average).toFixed(3)),
      p99_ms: inbound.latency.p99,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await stopChild(echo.child);
    await stopChild(sidecar.child);
    await dropPrefix(prefix, REDIS_URL);
  }
}

const [role, arg] = process.argv.slice(2);
const run = role === 'echo' ? serveEcho() : role === 'sidecar' ? serveSidecar(arg!) : main();
run.catch((err: Error) => {
  process.stderr.write(`bench:inbound failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
