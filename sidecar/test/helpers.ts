import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSidecar, type Sidecar, type SidecarOptions } from '../src/app';
import { loadConfig } from '../src/config';
import type { Logger } from '../src/observability/logger';
import { RedisConnections } from '../src/queues/connection';
import { newKeyEntry } from '../src/secrets/keyring';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses, so tests can share one Redis. */
export const uniquePrefix = (label = 't') => `iatest:${label}:${randomBytes(4).toString('hex')}`;

/** Deletes every key under a prefix (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function dropPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const r = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** The Redis part of a module's Context on the shared test Redis, opened as startSidecar does. */
export async function testRedis(name: string, log: Logger) {
  const connections = new RedisConnections({ url: TEST_REDIS_URL }, log);
  const redis = connections.open(name, 'command');
  await connections.ready(10_000);
  return { redis, connections, replicated: connections.waiter(redis, 0, 0) };
}

export interface TestSidecar extends Sidecar {
  prefix: string;
  /** fetch against the sidecar with the Bearer token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Stops it and deletes its keys. */
  close(): Promise<void>;
}

/** An in-process sidecar on a free port, on the shared test Redis under a fresh prefix. */
export async function startTestSidecar(env: Record<string, string> = {}, opts: SidecarOptions = {}): Promise<TestSidecar> {
  const prefix = env.REDIS_PREFIX ?? uniquePrefix();
  const config = loadConfig({
    PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-sidecar-')),
    SIDECAR_TOKEN: 'test-token-0123456789abcdef',
    LOG_LEVEL: 'silent',
    // A ring of its own, so a start does not generate (and warn about) a key file.
    ...(env.SECRETS_KEY_FILE ? {} : { SECRETS_KEYS: newKeyEntry('test') }),
    ...env,
  });
  const sc = await startSidecar(config, opts);
  return {
    ...sc,
    prefix,
    api: (path, init = {}) => {
      const { json, ...rest } = init;
      return fetch(`${sc.url}${path}`, {
        ...rest,
        headers: {
          authorization: `Bearer ${sc.token}`,
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(rest.headers as Record<string, string> | undefined),
        },
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    close: async () => {
      await sc.stop();
      await dropPrefix(prefix);
    },
  };
}
