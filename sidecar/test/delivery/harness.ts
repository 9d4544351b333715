import { mkdtempSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect } from 'vitest';
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
import { loadKeyRing } from '../../src/secrets/load';
import { createDeliveryModule, type DeliveryOptions } from '../../src/delivery/index';
import { QUEUE_NAME } from '../../src/delivery/keys';
import { startReceiver, type ReceiverHandler, type TestReceiver } from './receiver';

/** Realtime that records instead of publishing. */
class RecordingRealtime extends Realtime {
  readonly published: Array<{ event: string; item: unknown }> = [];
  override get enabled() {
    return true;
  }
  override publish(event: string, item: unknown) {
    this.published.push({ event, item });
  }
}

export interface DeliveryHarness {
  url: string;
  prefix: string;
  ctx: Context;
  realtime: RecordingRealtime;
  module: ReturnType<typeof createDeliveryModule>;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** PUT an endpoint and fail the test if it is refused. */
  putEndpoint(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  postMessages(messages: unknown[]): Promise<{ accepted: string[]; duplicates: string[]; rejected: unknown[] }>;
  /** Polls GET /v1/messages/{id} until its status is one of `statuses`. */
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<Record<string, any>>;
  /**
   * Resolves once the delivery queue holds no unfinished job: every attempt queued so far has
   * run and been recorded (a job leaves the queue only after its outcome is stored), retries
   * included. The barrier before asserting that something was not sent.
   */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const TOKEN = 'test-token-0123456789abcdef';

/**
 * The delivery module alone behind the real HTTP stack, on the shared test Redis under a fresh
 * prefix, with options a whole sidecar does not expose (auto-disable threshold, reporter
 * tuning, a stand-in Frappe client) and a realtime that records.
 */
export async function startDeliveryHarness(
  opts: { env?: Record<string, string>; delivery?: DeliveryOptions; frappe?: FrappeClient | null } = {},
): Promise<DeliveryHarness> {
  const prefix = uniquePrefix('dl');
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-dl-')), SIDECAR_TOKEN: TOKEN,
    LOG_LEVEL: 'silent', OUTBOUND_ALLOW_PRIVATE: 'true', DELIVERY_CONCURRENCY: '50', ...opts.env,
  });
  const log = createLogger(config.LOG_LEVEL);
  const { redis, connections, replicated } = await testRedis('test-delivery', log);
  const metrics = createMetrics();
  const realtime = new RecordingRealtime(null, 'test', log);
  const ctx: Context = { config, redis, connections, replicated, prefix, log, metrics, frappe: opts.frappe ?? null, realtime, secrets: loadKeyRing(config).ring };
  const module = createDeliveryModule(ctx, opts.delivery);
  await module.start!();
  const app = createHttpApp({ token: TOKEN, log, metrics, modules: [module], health: async () => ({ ok: true }), bodyTimeoutMs: config.BODY_TIMEOUT_MS });
  const server = await listenLocal(app);
  const { url } = server;
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix });
  const api: DeliveryHarness['api'] = (path, init = {}) => {
    const { json, ...rest } = init;
    return fetch(`${url}${path}`, {
      ...rest,
      headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  const expectOk = async (res: Response, status: number) => {
    const text = await res.text();
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as any;
  };
  return {
    url, prefix, ctx, realtime, module, api,
    putEndpoint: async (id, body) => expectOk(await api(`/v1/endpoints/${id}`, { method: 'PUT', json: body }), 200),
    postMessages: async (messages) => expectOk(await api('/v1/messages', { method: 'POST', json: { messages } }), 202),
    async waitForStatus(id, statuses, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const res = await api(`/v1/messages/${id}`);
        const body = res.status === 200 ? ((await res.json()) as Record<string, any>) : null;
        if (body && statuses.includes(body.status)) return body;
        if (Date.now() > until) throw new Error(`message ${id} not ${statuses.join('|')} within ${timeoutMs} ms: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async drain(timeoutMs = 15_000) {
      const states = ['wait', 'active', 'prioritized', 'waiting-children', 'delayed'] as const;
      const unfinished = async () => Object.values(await queue.getJobCounts(...states)).reduce((a, b) => a + b, 0);
      await expect.poll(unfinished, { timeout: timeoutMs, interval: 25 }).toBe(0);
    },
    async close() {
      await queue.close();
      await server.close();
      await module.stop!();
      await connections.close();
      await dropPrefix(prefix);
    },
  };
}

/**
 * A harness for the enclosing describe block, started before its tests and closed after them
 * together with every receiver made through `receiver()`; `fx.h` is the harness once started.
 */
export function useDeliveryHarness(opts?: Parameters<typeof startDeliveryHarness>[0]) {
  const receivers: TestReceiver[] = [];
  const fx = {
    h: undefined as unknown as DeliveryHarness,
    receiver: async (handler?: ReceiverHandler) => {
      const r = await startReceiver(handler);
      receivers.push(r);
      return r;
    },
  };
  beforeAll(async () => {
    fx.h = await startDeliveryHarness(opts);
  });
  afterAll(async () => {
    await fx.h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });
  return fx;
}
