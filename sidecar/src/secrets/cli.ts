import { appendFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../config';
import { EndpointStore } from '../delivery/endpoints';
import { DeliveryKeys } from '../delivery/keys';
import { ConnectionKeys } from '../connections/keys';
import { ConnectionStore } from '../connections/store';
import { EndpointStore as InboundEndpointStore } from '../inbound/endpoints';
import { inboundKeys } from '../inbound/keys';
import { CertStore } from '../inbound/verify/certs';
import { createLogger } from '../observability/logger';
import { SecretsConfigError } from './errors';
import { newKeyEntry } from './keyring';
import { loadKeyRing } from './load';
import { rekeyAll, type Rekeyable } from './rekey';

/**
 * Key rotation from the command line, with the sidecar's own environment:
 *   `npm run -w integrations-sidecar keys:add`  appends a new newest key to the key file (or prints one for
 *                                  SECRETS_KEYS); restart every sidecar process afterwards;
 *   `npm run -w integrations-sidecar rekey`     re-seals every stored secret under the newest key.
 * Then the older keys may be removed from the ring.
 */

/** Every store holding sealed values; kept here so `rekey` cannot forget one. */
export function sealedStores(redis: Redis, prefix: string, ring: ReturnType<typeof loadKeyRing>['ring']): Record<string, Rekeyable> {
  return {
    webhook_endpoints: new EndpointStore(redis, new DeliveryKeys(prefix), ring),
    connections: new ConnectionStore(redis, new ConnectionKeys(prefix), ring, null, createLogger('silent')),
    // Rekeying compiles no verifier: the verification dependencies are never used here.
    inbound_endpoints: new InboundEndpointStore(redis, inboundKeys(prefix), async () => {}, ring, { certs: new CertStore(), fetch, snsHost: /^$/ }),
  };
}

function nextId(ids: string[]): string {
  let n = ids.length + 1;
  while (ids.includes(`k${n}`)) n++;
  return `k${n}`;
}

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  const loaded = loadKeyRing(config);
  if (command === 'add-key') {
    const entry = newKeyEntry(nextId(loaded.ring.ids));
    if (!loaded.path) {
      process.stdout.write(`Append this entry to SECRETS_KEYS (comma-separated, newest last), restart every sidecar, then run rekey:\n${entry}\n`);
      return;
    }
    appendFileSync(loaded.path, `${entry}\n`);
    process.stdout.write(`Added key ${entry.split(':')[0]} to ${loaded.path}. Restart every sidecar process, then run rekey.\n`);
    return;
  }
  if (command === 'rekey') {
    if (!config.REDIS_URL) throw new ConfigError('rekey needs REDIS_URL: the Redis the sidecars use (the embedded one logs its URL at start)');
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
    try {
      const report = await rekeyAll(sealedStores(redis, config.REDIS_PREFIX, loaded.ring));
      process.stdout.write(`${JSON.stringify({ key: loaded.ring.currentId, ...report })}\n`);
    } finally {
      redis.disconnect();
    }
    return;
  }
  throw new ConfigError('usage: cli.ts add-key | rekey');
}

main(process.argv[2]).catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof SecretsConfigError;
  process.stderr.write(`integrations-sidecar: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
