import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../local-server';

const SCRIPT = resolve(import.meta.dirname, 'remote-source.ts');
const SIDECAR_DIR = resolve(import.meta.dirname, '../..');

/** `remote-source.ts` as a child process that a test kills (-9) and starts again on the same port. */
export class RemoteSource {
  child: ChildProcess | null = null;
  port = 0;
  /** Every connection the source accepted over all its lives: the resume point and the Authorization it got. */
  readonly connects: Array<{ resume: string | null; auth: string | null }> = [];

  constructor(
    readonly transport: 'sse' | 'ws',
    readonly count: number,
    readonly intervalMs: number,
    readonly resume: boolean,
  ) {}

  get url(): string {
    return `${this.transport === 'sse' ? 'http' : 'ws'}://127.0.0.1:${this.port}/events`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, String(this.port), this.transport, String(this.count), String(this.intervalMs), this.resume ? 'resume' : 'noresume'], {
      cwd: SIDECAR_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    let buf = '';
    await new Promise<void>((ok, fail) => {
      child.once('exit', (code) => fail(new Error(`remote source exited with ${code}`)));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === 'listening') ok();
          const m = /^connect (\S+) auth=(.*)$/.exec(line);
          if (m) this.connects.push({ resume: m[1] === '-' ? null : m[1]!, auth: m[2] === '-' ? null : m[2]! });
        }
      });
    });
    return this;
  }

  /** kill -9: the connections drop without a close. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((ok) => c.once('exit', ok));
    c.kill('SIGKILL');
    await exited;
  }
}
