import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_REDIS_URL } from './helpers';
import { freePort } from './local-server';

const SIDECAR_DIR = resolve(import.meta.dirname, '..');
export const TOKEN = 'process-test-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real sidecar process (`node --import tsx src/main.ts`) on the shared test Redis. Processes
 * that act as one deployment share `prefix` and the key ring (`SECRETS_KEYS` in `env`).
 */
export class SidecarProcess {
  child: ChildProcess | null = null;
  output = '';
  port = 0;
  constructor(
    readonly prefix: string,
    readonly env: Record<string, string> = {},
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  /** Starts it on a free port, or on `port` (a restart where clients expect the same address). */
  async start(port?: number): Promise<this> {
    this.port = port ?? (await freePort());
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: SIDECAR_DIR,
      env: {
        PATH: process.env.PATH, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: this.prefix, PORT: String(this.port), SIDECAR_TOKEN: TOKEN,
        OUTBOUND_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-proc-')), ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const until = Date.now() + 30_000;
    for (;;) {
      if (await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false)) return this;
      if (this.child.exitCode !== null || Date.now() > until) throw new Error(`sidecar did not start:\n${this.output}`);
      await sleep(100);
    }
  }
  /** kill -9: no shutdown of any kind. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((ok) => c.once('exit', ok));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((ok) => c.once('exit', ok));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  async api(method: string, path: string, json?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}
