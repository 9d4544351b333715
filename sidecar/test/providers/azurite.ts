import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnServer } from '../spawned-server';

/** The npm devDependency's blob service (hoisted to the workspace root). */
const AZURITE_BLOB = resolve(import.meta.dirname, '../../../node_modules/.bin/azurite-blob');

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
  const s = await spawnServer({
    name: 'azurite',
    command: AZURITE_BLOB,
    install: 'run npm install',
    args: (port) => ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--disableTelemetry'],
    cwd: mkdtempSync(join(tmpdir(), 'azurite-')),
    probe: `/${DEV_ACCOUNT.account}?comp=list`,
    // Any HTTP answer (an unsigned request is refused) means it listens.
    ok: () => true,
  });
  return { url: `${s.origin}/${DEV_ACCOUNT.account}`, get output() { return s.output; }, stop: () => s.stop() };
}
