import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../sidecar-process';

/** The npm devDependency's blob service (hoisted to the workspace root). */
const AZURITE_BLOB = resolve(import.meta.dirname, '../../../node_modules/.bin/azurite-blob');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** azurite's well-known development account (documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = { account: 'devstoreaccount1', key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' };

export interface Azurite {
  /** `http://127.0.0.1:port/devstoreaccount1` (path-style, as the emulator serves accounts). */
  url: string;
  output: string;
  stop(): Promise<void>;
}

/**
 * azurite's Blob service as a child process on a free port, in memory. It checks every Shared
 * Key signature and SAS the way Azure does (a wrong one is 403 AuthorizationFailure).
 */
export async function startAzurite(): Promise<Azurite> {
  if (!existsSync(AZURITE_BLOB)) throw new Error(`azurite is not installed at ${AZURITE_BLOB}: run npm install`);
  const port = await freePort();
  const child: ChildProcess = spawn(AZURITE_BLOB, [
    '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--disableTelemetry',
  ], { cwd: mkdtempSync(join(tmpdir(), 'azurite-')), env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const a: Azurite = {
    url: `http://127.0.0.1:${port}/${DEV_ACCOUNT.account}`,
    output: '',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  child.stdout!.on('data', (d: Buffer) => (a.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (a.output += d.toString()));
  const until = Date.now() + 30_000;
  for (;;) {
    // Any HTTP answer (an unsigned request is refused) means it listens.
    if (await fetch(`${a.url}?comp=list`).then(() => true, () => false)) return a;
    if (child.exitCode !== null || Date.now() > until) {
      await a.stop();
      throw new Error(`azurite did not start:\n${a.output}`);
    }
    await sleep(100);
  }
}
