import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrappeSite, Receiver, standardSigned } from './redis/frappe';
import { freePort } from './local-server';
import { exited, killAll, RedisProcess, SidecarChild, until } from './redis/processes';

const STD_KEY = `whsec_${Buffer.from('redis-down-test-key-0123456789ab').toString('base64')}`;
/** A route that has to wait for a dead Redis must still answer before this. */
const ANSWER_WITHIN_MS = 2500;

/** Accepts TCP connections on the dead Redis's port and drops them at once, counting them. */
async function blackhole(port: number): Promise<{ accepted: () => number; close(): Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    n++;
    sockets.add(s);
    s.destroy();
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    accepted: () => n,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

const redisLogs = (sc: SidecarChild) => sc.logs().filter((l) => /^redis (unreachable|reachable again)/.test(l.msg));

describe('Redis down under a running sidecar (REDIS_URL)', () => {
  let redis: RedisProcess;
  let sc: SidecarChild;
  const frappe = new FrappeSite();
  const rx = new Receiver();

  beforeAll(async () => {
    await Promise.all([frappe.start(), rx.start()]);
    redis = await RedisProcess.start({ args: ['--appendonly', 'yes'] });
    sc = await new SidecarChild({
      REDIS_URL: redis.url, FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's',
    }).start();
    expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none' })).status).toBe(200);
    expect((await sc.api('PUT', '/v1/inbound-endpoints/in', { provider: 'standard', secret: STD_KEY })).status).toBe(200);
    expect((await sc.api('POST', '/v1/messages', { messages: [{ id: 'm1', endpoint_id: 'rx', event_type: 't', payload: {} }] })).status).toBe(202);
    await until(() => rx.ids.has('m1'), 10_000, 'm1 delivered');
    await redis.kill9();
  });

  afterAll(async () => {
    await killAll();
    await Promise.all([frappe.close(), rx.close()]);
  });

  it('every Redis-backed route answers 503 unavailable with Retry-After at once', async () => {
    const inbound = standardSigned(STD_KEY, 'evt-down');
    const calls: Array<[string, () => Promise<Response>]> = [
      ['POST /v1/messages', () => sc.api('POST', '/v1/messages', { messages: [{ id: 'm2', endpoint_id: 'rx', event_type: 't', payload: {} }] }, ANSWER_WITHIN_MS)],
      ['GET /v1/messages/m1', () => sc.api('GET', '/v1/messages/m1', undefined, ANSWER_WITHIN_MS)],
      ['POST /v1/messages/lookup', () => sc.api('POST', '/v1/messages/lookup', { ids: ['m1'] }, ANSWER_WITHIN_MS)],
      ['POST /v1/messages/m1/replay', () => sc.api('POST', '/v1/messages/m1/replay', undefined, ANSWER_WITHIN_MS)],
      ['PUT /v1/endpoints/rx2', () => sc.api('PUT', '/v1/endpoints/rx2', { url: rx.url, signing: 'none' }, ANSWER_WITHIN_MS)],
      ['GET /v1/endpoints/rx', () => sc.api('GET', '/v1/endpoints/rx', undefined, ANSWER_WITHIN_MS)],
      ['GET /v1/endpoints/rx/messages', () => sc.api('GET', '/v1/endpoints/rx/messages', undefined, ANSWER_WITHIN_MS)],
      ['POST /v1/endpoints/rx/recover', () => sc.api('POST', '/v1/endpoints/rx/recover', { since: new Date(0).toISOString() }, ANSWER_WITHIN_MS)],
      ['PUT /v1/inbound-endpoints/in2', () => sc.api('PUT', '/v1/inbound-endpoints/in2', { provider: 'standard', secret: STD_KEY }, ANSWER_WITHIN_MS)],
      ['GET /v1/inbound-endpoints/in/events', () => sc.api('GET', '/v1/inbound-endpoints/in/events', undefined, ANSWER_WITHIN_MS)],
      ['POST /v1/inbound/in', () => fetch(`${sc.url}/v1/inbound/in`, { method: 'POST', ...inbound, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })],
    ];
    const seen: Record<string, unknown> = {};
    await Promise.all(
      calls.map(async ([name, call]) => {
        const res = await call().catch((err: Error) => ({ status: `no answer: ${err.name}` }) as const);
        if (!(res instanceof Response)) return void (seen[name] = res.status);
        seen[name] = { status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as { error?: { code: string } }).error?.code };
      }),
    );
    for (const [name] of calls) expect(seen[name], name).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), code: 'unavailable' });
  });

  it('/healthz answers 503 within its own deadline', async () => {
    const res = await fetch(`${sc.url}/healthz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, redis: { ok: false } });
  });

  it('logs the outage once through the structured logger, however often it reconnects, and nothing on stderr', { timeout: 45_000 }, async () => {
    const hole = await blackhole(redis.port);
    try {
      // Every connection has tried again several times (each try is one accepted socket).
      await expect.poll(hole.accepted, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(20);
    } finally {
      await hole.close();
    }
    expect(sc.stderr).not.toContain('Unhandled error event');
    expect(sc.stderr).toBe('');
    const lines = redisLogs(sc);
    expect(lines.map((l) => l.msg)).toEqual(['redis unreachable']);
    expect(lines[0]).toMatchObject({ level: 40, err: expect.any(String) });
    // No per-retry error lines from the worker, forwarder or reporter either.
    const errors = sc.logs().filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });

  it('recovers on its own when Redis is back: one "reachable again" line, routes answer, work flows', { timeout: 60_000 }, async () => {
    await redis.start();
    await expect.poll(async () => (await fetch(`${sc.url}/healthz`)).status, { timeout: 20_000, interval: 200 }).toBe(200);
    await expect.poll(() => redisLogs(sc).map((l) => l.msg), { timeout: 10_000 }).toEqual(['redis unreachable', 'redis reachable again']);
    const res = await sc.api('POST', '/v1/messages', { messages: [{ id: 'm3', endpoint_id: 'rx', event_type: 't', payload: {} }] });
    expect(res.status).toBe(202);
    await expect.poll(() => rx.ids.has('m3'), { timeout: 15_000 }).toBe(true);
    const inbound = standardSigned(STD_KEY, 'evt-back');
    expect((await fetch(`${sc.url}/v1/inbound/in`, { method: 'POST', ...inbound })).status).toBe(200);
    await expect.poll(() => frappe.inbound.has('in|evt-back'), { timeout: 15_000 }).toBe(true);
  });

  it('SIGTERM with Redis down finishes shutdown in bounded time', { timeout: 45_000 }, async () => {
    await redis.kill9();
    await expect.poll(async () => (await fetch(`${sc.url}/healthz`)).status, { timeout: 10_000 }).toBe(503);
    sc.child!.kill('SIGTERM');
    const outcome = await Promise.race([exited(sc.child!), new Promise((ok) => setTimeout(() => ok('still running after 20 s'), 20_000))]);
    expect(outcome).toEqual({ code: 0, signal: null });
    expect(sc.stderr).not.toContain('Unhandled error event');
  });
});

describe("Frappe's Redis (realtime) down", () => {
  afterAll(killAll);

  it('costs one warning, not one per publish, and nothing on stderr; delivery goes on', { timeout: 60_000 }, async () => {
    const rx = await new Receiver().start();
    const redis = await RedisProcess.start();
    const deadPort = await freePort();
    const sc = await new SidecarChild({ REDIS_URL: redis.url, FRAPPE_REDIS_URL: `redis://127.0.0.1:${deadPort}`, FRAPPE_SITE: 'site1' }).start();
    try {
      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none' })).status).toBe(200);
      // Each delivery publishes to desk; sent in bursts so several flushes fail.
      for (let i = 0; i < 5; i++) {
        const messages = Array.from({ length: 20 }, (_, j) => ({ id: `rt-${i}-${j}`, endpoint_id: 'rx', event_type: 't', payload: {} }));
        expect((await sc.api('POST', '/v1/messages', { messages })).status).toBe(202);
        await expect.poll(() => rx.ids.size, { timeout: 10_000 }).toBe((i + 1) * 20);
      }
      const down = sc.logs().filter((l) => l.msg === 'redis unreachable');
      expect(down).toEqual([expect.objectContaining({ redis: 'frappe-realtime', level: 40 })]);
      // Not even the publishes that failed meanwhile (one flush per 250 ms of deliveries).
      expect(sc.logs().filter((l) => l.level >= 40 && l.msg !== 'redis unreachable')).toEqual([]);
      expect(sc.stderr).toBe('');
    } finally {
      await sc.stop();
      await rx.close();
    }
  });
});

describe('Redis that accepts connections but does not answer (process stopped)', () => {
  afterAll(killAll);

  it('requests end in 503 within the 5 s command timeout and /healthz within its deadline', { timeout: 60_000 }, async () => {
    const redis = await RedisProcess.start();
    const sc = await new SidecarChild({ REDIS_URL: redis.url }).start();
    try {
      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: 'http://127.0.0.1:9/hook', signing: 'none' })).status).toBe(200);
      redis.child!.kill('SIGSTOP');
      const health = await fetch(`${sc.url}/healthz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
      expect(health.status).toBe(503);
      const res = await sc.api('GET', '/v1/endpoints/rx', undefined, 7000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      redis.child!.kill('SIGCONT');
      await expect.poll(async () => (await sc.api('GET', '/v1/endpoints/rx')).status, { timeout: 15_000, interval: 250 }).toBe(200);
    } finally {
      if (redis.child?.signalCode === null) redis.child.kill('SIGCONT');
      await sc.stop();
    }
    expect(sc.child!.exitCode).toBe(0);
  });
});
