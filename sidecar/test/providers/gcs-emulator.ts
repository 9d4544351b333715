import { resolve } from 'node:path';
import { spawnServer } from '../spawned-server';

/** Where `scripts/lib.sh ensure_python_venv` installs it (`pip install gcp-storage-emulator`). */
const EMULATOR = resolve(import.meta.dirname, '../../../.venv/bin/gcp-storage-emulator');

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
  const s = await spawnServer({
    name: 'gcp-storage-emulator',
    command: EMULATOR,
    install: 'run `source scripts/lib.sh && ensure_python_venv`',
    args: (port) => ['start', '--host', '127.0.0.1', '--port', String(port), '--in-memory', '--default-bucket', bucket],
    probe: `/storage/v1/b/${bucket}`,
  });
  return { url: s.origin, get output() { return s.output; }, stop: () => s.stop() };
}
