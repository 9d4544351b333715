import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../sidecar-process';

/** Where `scripts/lib.sh ensure_python_venv` installs it (`pip install gcp-storage-emulator`). */
const EMULATOR = resolve(import.meta.dirname, '../../../.venv/bin/gcp-storage-emulator');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GcsEmulator {
  url: string;
  output: string;
  stop(): Promise<void>;
}

/**
 * gcp-storage-emulator (PyPI) as a child process, in memory, with `bucket` created: Cloud
 * Storage's JSON API (metadata, listing, resumable uploads) and XML object paths. It does not
 * check tokens or signatures; those are proven elsewhere (token endpoint, conformance vectors).
 */
export async function startGcsEmulator(bucket: string): Promise<GcsEmulator> {
  if (!existsSync(EMULATOR)) throw new Error(`gcp-storage-emulator is not installed at ${EMULATOR}: run \`source scripts/lib.sh && ensure_python_venv\``);
  const port = await freePort();
  const child: ChildProcess = spawn(EMULATOR, ['start', '--host', '127.0.0.1', '--port', String(port), '--in-memory', '--default-bucket', bucket], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const e: GcsEmulator = {
    url: `http://127.0.0.1:${port}`,
    output: '',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  child.stdout!.on('data', (d: Buffer) => (e.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (e.output += d.toString()));
  const until = Date.now() + 30_000;
  for (;;) {
    if (await fetch(`${e.url}/storage/v1/b/${bucket}`).then((r) => r.ok, () => false)) return e;
    if (child.exitCode !== null || Date.now() > until) {
      await e.stop();
      throw new Error(`gcp-storage-emulator did not start:\n${e.output}`);
    }
    await sleep(100);
  }
}
