/**
 * The child processes a benchmark measures: a real sidecar (`src/main.ts`) on its own port and
 * Redis prefix, and forked helpers (upstreams, ceilings) that report their port over IPC. Every
 * child is killed when the benchmark exits, however it exits.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newKeyEntry } from '../src/secrets/keyring';
import { freePort } from '../test/local-server';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(1));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// One key ring per benchmark run: sidecars sharing a prefix must read each other's sealed secrets.
const SECRETS_KEYS = newKeyEntry('k1');

/** CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/**
 * A sidecar process under `prefix`, answering `token`, once /healthz says it is up.
 * BENCH_SIDECAR_NODE_ARGS: extra node flags for it (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export async function startBenchSidecar(prefix: string, token: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const extra = (process.env.BENCH_SIDECAR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', 'src/main.ts'], {
    cwd: resolve(HERE, '..'),
    env: {
      PATH: process.env.PATH, REDIS_URL, REDIS_PREFIX: prefix, PORT: String(port), SIDECAR_TOKEN: token,
      LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-bench-')), SECRETS_KEYS, ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('sidecar did not start');
    await sleep(100);
  }
  return { url, child };
}

/** A helper script of this folder, forked with `args`; it sends `{port}` once it listens. */
export async function forkListener(file: string, args: string[] = []) {
  const child = fork(join(HERE, file), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const port = await new Promise<number>((ok) => child.once('message', (m: { port: number }) => ok(m.port)));
  return { url: `http://127.0.0.1:${port}`, child };
}
