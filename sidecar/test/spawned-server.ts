import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './local-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server the tests run as a child process (an emulator: moto, azurite, gcp-storage-emulator). */
export interface SpawnedServer {
  /** `http://127.0.0.1:port` */
  origin: string;
  port: number;
  /** Its stdout and stderr so far, for failure messages. */
  output: string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** For messages: what it is. */
  name: string;
  command: string;
  /** How to install `command` when it is missing (the error says so; a test never skips). */
  install: string;
  /** Its arguments for a port chosen here. */
  args(port: number): string[];
  env?: Record<string, string>;
  cwd?: string;
  /** A path on it that answers `ok` once it serves. */
  probe: string;
  /** Which answers mean up. @defaultValue a 2xx */
  ok?: (res: Response) => boolean;
}

/**
 * Spawns `command` on a free port of 127.0.0.1 and resolves once `probe` answers (30 s at
 * most); throws with its output when it is not installed, exits or never answers. `stop` sends
 * SIGTERM, then SIGKILL after 5 s.
 */
export async function spawnServer(o: SpawnOptions): Promise<SpawnedServer> {
  if (!existsSync(o.command)) throw new Error(`${o.name} is not installed at ${o.command}: ${o.install}`);
  const port = await freePort();
  const child: ChildProcess = spawn(o.command, o.args(port), { cwd: o.cwd, env: { PATH: process.env.PATH, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const s: SpawnedServer = {
    origin: `http://127.0.0.1:${port}`,
    port,
    output: '',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  child.stdout!.on('data', (d: Buffer) => (s.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (s.output += d.toString()));
  const ok = o.ok ?? ((r: Response) => r.ok);
  const until = Date.now() + 30_000;
  for (;;) {
    if (await fetch(`${s.origin}${o.probe}`).then(ok, () => false)) return s;
    if (child.exitCode !== null || Date.now() > until) {
      await s.stop();
      throw new Error(`${o.name} did not start:\n${s.output}`);
    }
    await sleep(100);
  }
}
