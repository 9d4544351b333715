import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { newKeyEntry } from '../../src/secrets/keyring';
import { freePort } from '../local-server';

/** One key ring for every sidecar these tests start: they act as one deployment on one Redis. */
const TEST_KEYS = newKeyEntry('test');

const SIDECAR_DIR = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every child process a test starts. They are killed with SIGKILL by {@link killAll} (call it
 * in afterAll/afterEach) and, should the test worker itself die, when it exits.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export const isRunning = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export function exited(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!isRunning(c)) return Promise.resolve({ code: c.exitCode, signal: c.signalCode });
  return new Promise((ok) => c.once('exit', (code, signal) => ok({ code, signal })));
}

/** Kills every child still running and waits for them to be gone. */
export async function killAll(): Promise<void> {
  const running = [...children].filter(isRunning);
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(running.map(exited));
}

export const tempDir = (label: string) => mkdtempSync(join(tmpdir(), `ia-${label}-`));

/** Resolves once `redis-cli PING` (through ioredis) answers on the port, or throws after `ms`. */
export async function waitForRedis(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    const ok = await r.connect().then(() => r.ping(), () => null).catch(() => null);
    r.disconnect();
    if (ok === 'PONG') return;
    if (Date.now() > until) throw new Error(`redis on port ${port} did not answer within ${ms} ms`);
    await sleep(50);
  }
}

/** A redis-server (or `redis-server --sentinel`) the test owns: its own port and directory. */
export class RedisProcess {
  child: ChildProcess | null = null;
  output = '';
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  static async start(o: { port?: number; dir?: string; args?: string[] } = {}): Promise<RedisProcess> {
    const p = new RedisProcess(o.port ?? (await freePort()), o.dir ?? tempDir('redis'), o.args ?? []);
    await p.start();
    return p;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.child?.pid ?? 0;
  }

  /** Starts (or starts again, on the same port and directory). */
  async start(): Promise<void> {
    const child = track(
      spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...this.args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child = child;
    await waitForRedis(this.port).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.output}`);
    });
  }

  async kill9(): Promise<void> {
    if (!this.child || !isRunning(this.child)) return;
    this.child.kill('SIGKILL');
    await exited(this.child);
  }
}

/** A Sentinel (`redis-server <file> --sentinel`): it rewrites its config file, so each gets its own. */
export async function startSentinel(o: { masterName: string; masterPort: number; quorum: number; downAfterMs: number; failoverTimeoutMs: number }) {
  const port = await freePort();
  const dir = tempDir('sentinel');
  const file = join(dir, 'sentinel.conf');
  writeFileSync(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${o.masterName} 127.0.0.1 ${o.masterPort} ${o.quorum}`,
      `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
      `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${o.masterName} 1`,
      '',
    ].join('\n'),
  );
  const child = track(spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitForRedis(port).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
  return { port, child, output: () => output };
}

/** One structured log line of the sidecar (pino JSON). */
export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A real sidecar process (`node --import tsx src/main.ts`) with its stdout and stderr kept apart. */
export class SidecarChild {
  child: ChildProcess | null = null;
  stdout = '';
  stderr = '';
  url = '';

  constructor(
    readonly env: Record<string, string>,
    readonly token = 'redis-test-token-0123456789',
  ) {}

  async start(timeoutMs = 30_000): Promise<this> {
    const port = this.env.PORT ?? String(await freePort());
    this.url = `http://127.0.0.1:${port}`;
    this.stdout = '';
    this.stderr = '';
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: SIDECAR_DIR,
        env: {
          PATH: process.env.PATH, PORT: port, SIDECAR_TOKEN: this.token, LOG_LEVEL: 'info', DATA_DIR: tempDir('sidecar'),
          // A ring of its own: a generated key file is announced with a warning these tests count.
          OUTBOUND_ALLOW_PRIVATE: 'true', SECRETS_KEYS: TEST_KEYS, ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    const until = Date.now() + timeoutMs;
    while (!(await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false))) {
      if (!isRunning(child) || Date.now() > until) throw new Error(`sidecar did not start:\n${this.stdout}\n${this.stderr}`);
      await sleep(100);
    }
    return this;
  }

  logs(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  api(method: string, path: string, json?: unknown, timeoutMs = 10_000): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !isRunning(c)) return;
    c.kill('SIGTERM');
    const done = await Promise.race([exited(c), sleep(15_000).then(() => null)]);
    if (!done) {
      c.kill('SIGKILL');
      await exited(c);
    }
  }
}

/** Waits until `predicate` holds (for hooks, where expect.poll is not available). */
export async function until(predicate: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}
