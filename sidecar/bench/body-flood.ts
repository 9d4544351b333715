/**
 * Body-flood measurement (not a test): `npm run -w integrations-sidecar bench:body-flood`. Starts a real
 * sidecar in a child process (standalone, fresh key prefix, deleted afterwards) with a GitHub
 * inbound endpoint, then opens BENCH_FLOOD_CONNECTIONS (300) unauthenticated connections that
 * each declare 1 MiB, send all but its last byte and stall. Samples the child's resident memory
 * until every connection has an answer (or BENCH_FLOOD_WAIT_S, 20 s, passes) and prints, as the
 * last line, {"connections","rss_before_mb","rss_peak_mb","answered":{status:count},"unanswered","seconds"}.
 * Env: REDIS_URL (default redis://127.0.0.1:6379); the sidecar runs with its default
 * BODY_TIMEOUT_MS and INBOUND_BODY_BUDGET_BYTES unless they are set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSidecar } from '../src/app';
import { loadConfig } from '../src/config';
import { dropPrefix } from '../test/helpers';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 300);
const WAIT_S = Number(process.env.BENCH_FLOOD_WAIT_S ?? 20);
const TOKEN = 'bench-token-0123456789abcdef';
const SLUG = 'flood';
const BODY = 1024 * 1024;

async function serveSidecar(prefix: string): Promise<void> {
  const config = loadConfig({
    ...process.env, PORT: '0', REDIS_URL, REDIS_PREFIX: prefix, SIDECAR_TOKEN: TOKEN, LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-flood-')),
  });
  const sc = await startSidecar(config, { frappe: null });
  process.stdout.write(`${JSON.stringify({ url: sc.url })}\n`);
  process.on('SIGTERM', () => void sc.stop().then(() => process.exit(0)));
}

function startChild(prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'sidecar', prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && line) ok({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => fail(new Error(`sidecar exited with ${code}`)));
  });
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** One stalled upload; resolves with the status line's code, or null if the wait ran out. */
function stalledUpload(port: number, deadline: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    const done = (status: number | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(null), deadline - Date.now());
    socket.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(null));
    socket.on('connect', () => {
      socket.write(
        `POST /v1/inbound/${SLUG} HTTP/1.1\r\nhost: flood\r\ncontent-type: application/json\r\nx-hub-signature-256: sha256=00\r\n` +
          `x-github-delivery: d\r\nx-github-event: e\r\ncontent-length: ${BODY}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(BODY - 1, 0x20));
    });
  });
}

async function main(): Promise<void> {
  const prefix = `iabench:flood:${process.pid}:${Date.now().toString(36)}`;
  const { url, child } = await startChild(prefix);
  try {
    const put = await fetch(`${url}/v1/inbound-endpoints/${SLUG}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'github', secret: 'flood-secret' }),
    });
    if (put.status !== 200) throw new Error(`PUT endpoint answered ${put.status}`);
    const before = rssMb(child.pid!);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 100);
    const started = Date.now();
    const port = Number(new URL(url).port);
    const statuses = await Promise.all(Array.from({ length: CONNECTIONS }, () => stalledUpload(port, started + WAIT_S * 1000)));
    clearInterval(sampler);
    const answered: Record<string, number> = {};
    for (const s of statuses) if (s !== null) answered[s] = (answered[s] ?? 0) + 1;
    const out = {
      connections: CONNECTIONS,
      rss_before_mb: Math.round(before),
      rss_peak_mb: Math.round(peak),
      answered,
      unanswered: statuses.filter((s) => s === null).length,
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await new Promise<void>((ok) => {
      child.removeAllListeners('exit');
      child.once('exit', () => ok());
      child.kill('SIGTERM');
    });
    await dropPrefix(prefix, REDIS_URL);
  }
}

const [role, arg] = process.argv.slice(2);
(role === 'sidecar' ? serveSidecar(arg!) : main()).catch((err: Error) => {
  process.stderr.write(`bench:body-flood failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
