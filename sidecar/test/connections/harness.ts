import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPrefix, TEST_REDIS_URL, testRedis, uniquePrefix } from '../helpers';
import { listenLocal } from '../local-server';
import { loadConfig } from '../../src/config';
import type { FrappeClient } from '../../src/frappe/client';
import { Realtime } from '../../src/frappe/realtime';
import { createHttpApp } from '../../src/http/server';
import type { Context } from '../../src/module';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { KeyRing } from '../../src/secrets/keyring';
import { createConnectionsModule, type ConnectionsOptions } from '../../src/connections/index';

export interface ConnectionsHarness {
  url: string;
  prefix: string;
  ctx: Context;
  module: ReturnType<typeof createConnectionsModule>;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** PUT a connection and fail the test if it is refused. */
  put(id: string, body: Record<string, unknown>): Promise<Record<string, any>>;
  /** POST …/proxy; resolves to the status and parsed body. */
  proxy(id: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const TOKEN = 'test-token-0123456789abcdef';

/** A key ring for tests; harnesses sharing a prefix must share it, as sidecar processes do. */
export const testKeyRing = () => new KeyRing([{ id: 't1', key: randomBytes(32) }]);

/**
 * The connections module alone behind the real HTTP stack, on the shared test Redis. Several
 * harnesses with one `prefix` and `ring` act as several sidecar processes.
 */
export async function startConnectionsHarness(
  o: { prefix?: string; ring?: KeyRing; frappe?: FrappeClient | null; connections?: ConnectionsOptions; env?: Record<string, string> } = {},
): Promise<ConnectionsHarness> {
  const prefix = o.prefix ?? uniquePrefix('cn');
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-cn-')), SIDECAR_TOKEN: TOKEN,
    LOG_LEVEL: 'silent', OUTBOUND_ALLOW_PRIVATE: 'true', ...o.env,
  });
  const log = createLogger(config.LOG_LEVEL);
  const { redis, connections, replicated } = await testRedis('test-connections', log);
  const metrics = createMetrics();
  const ctx: Context = {
    config, redis, connections, replicated, prefix, log, metrics, frappe: o.frappe ?? null,
    realtime: new Realtime(null, '', log), secrets: o.ring ?? testKeyRing(),
  };
  const module = createConnectionsModule(ctx, o.connections);
  await module.start!();
  const app = createHttpApp({ token: TOKEN, log, metrics, modules: [module], health: async () => ({ ok: true }), bodyTimeoutMs: config.BODY_TIMEOUT_MS });
  const server = await listenLocal(app);
  const { url } = server;
  const api: ConnectionsHarness['api'] = (path, init = {}) => {
    const { json, ...rest } = init;
    return fetch(`${url}${path}`, {
      ...rest,
      headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  return {
    url, prefix, ctx, module, api,
    async put(id, body) {
      const res = await api(`/v1/connections/${id}`, { method: 'PUT', json: body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`PUT ${id}: ${res.status} ${text}`);
      return JSON.parse(text);
    },
    async proxy(id, body) {
      const res = await api(`/v1/connections/${id}/proxy`, { method: 'POST', json: body });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
    metrics: () => fetch(`${url}/metrics`).then((r) => r.text()),
    async close() {
      await server.close();
      await module.stop!();
      await connections.close();
      if (!o.prefix) await dropPrefix(prefix);
    },
  };
}
