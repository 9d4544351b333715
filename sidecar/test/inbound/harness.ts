import { createHash } from 'node:crypto';
import { FrappeClient } from '../../src/frappe/client';
import { Realtime } from '../../src/frappe/realtime';
import { createHttpApp } from '../../src/http/server';
import { loadConfig } from '../../src/config';
import { createInboundModule, type InboundOptions } from '../../src/inbound';
import type { Context, Module } from '../../src/module';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { dropPrefix, TEST_REDIS_URL, testRedis, uniquePrefix } from '../helpers';
import { listenLocal } from '../local-server';
import { KeyRing } from '../../src/secrets/keyring';

export const TOKEN = 'test-token-0123456789abcdef';

export interface InboundHarness {
  url: string;
  ctx: Context;
  module: Module;
  /** fetch with the Bearer token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Stops HTTP and the module; keys stay (pass drop=true to delete them). */
  stop(drop?: boolean): Promise<void>;
}

export function standinClient(url: string): FrappeClient {
  return new FrappeClient({ url, apiKey: 'k', apiSecret: 's', timeoutMs: 2000 });
}

/**
 * The inbound module alone on the real HTTP stack (route table, auth, error handler), with its
 * injectables exposed — startSidecar does not pass InboundOptions through. Several harnesses
 * may share one `prefix` to act as several sidecar processes.
 */
export async function startInboundHarness(
  o: { prefix?: string; frappeUrl?: string; inbound?: InboundOptions } = {},
): Promise<InboundHarness> {
  const prefix = o.prefix ?? uniquePrefix('inb');
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, SIDECAR_TOKEN: TOKEN, LOG_LEVEL: 'silent' });
  const log = createLogger('silent');
  const metrics = createMetrics();
  const { redis, connections, replicated } = await testRedis('inbound-test', log);
  const ctx: Context = {
    config, redis, connections, replicated, prefix, log, metrics,
    frappe: o.frappeUrl ? standinClient(o.frappeUrl) : null,
    realtime: new Realtime(null, '', log),
    // One ring per prefix: harnesses sharing a prefix act as sidecar processes sharing a key ring.
    secrets: new KeyRing([{ id: 'test', key: createHash('sha256').update(prefix).digest() }]),
  };
  const module = createInboundModule(ctx, o.inbound);
  await module.start?.();
  const app = createHttpApp({ token: TOKEN, log, metrics, modules: [module], health: async () => ({ ok: true }), bodyTimeoutMs: config.BODY_TIMEOUT_MS });
  const server = await listenLocal(app);
  const { url } = server;
  return {
    url, ctx, module,
    api: (path, init = {}) => {
      const { json, ...rest } = init;
      return fetch(`${url}${path}`, {
        ...rest,
        headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    stop: async (drop = false) => {
      await server.close();
      await module.stop?.();
      await connections.close();
      if (drop) await dropPrefix(prefix);
    },
  };
}
