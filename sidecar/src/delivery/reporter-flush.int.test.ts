import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrappeClient } from '../frappe/client';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { RedisConnections } from '../queues/connection';
import { uniquePrefix } from '../../test/helpers';
import { Reporter } from './reporter';

/**
 * A Redis that lost its data (FLUSHALL, a restart without persistence) takes the reports
 * stream's consumer group with it. The reporter must recreate it and carry on, not read
 * `NOGROUP` forever. The flush is `FLUSHDB` on a database of this test's own (index 14), so
 * the shared database 0 other tests use is untouched.
 */
const FLUSH_DB_URL = `${process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/14`;

describe('reporter after Redis lost its data', () => {
  const log = createLogger('silent');
  const connections = new RedisConnections({ url: FLUSH_DB_URL }, log);
  const redis = connections.open('test-reporter-flush', 'command');
  const stream = `${uniquePrefix('flush')}:dl:reports`;
  const reported: string[] = [];
  const frappe = new FrappeClient({
    url: 'http://frappe.test', apiKey: 'k', apiSecret: 's',
    fetch: async (_input, init) => {
      const body = JSON.parse(String(init?.body)) as { outcomes: Array<{ message_id: string }> };
      reported.push(...body.outcomes.map((o) => o.message_id));
      return Response.json({ message: { updated: body.outcomes.length } });
    },
  });
  const reporter = new Reporter(redis, stream, frappe, log, createMetrics(), { intervalMs: 20, maxBackoffMs: 100 });

  beforeAll(async () => {
    await connections.ready(10_000);
    await redis.flushdb();
    await reporter.start();
  });
  afterAll(async () => {
    await reporter.stop(500);
    await redis.flushdb();
    await connections.close();
  });

  const report = (id: string) => redis.xadd(stream, '*', 'o', JSON.stringify({ message_id: id, endpoint_id: 'e' }));

  it('recreates its consumer group after a flush, and reports flow again', async () => {
    await report('before');
    await expect.poll(() => reported, { timeout: 5000 }).toContain('before');
    await redis.flushdb();
    expect(await redis.exists(stream)).toBe(0);
    // Let the reporter hit the missing group at least once before anything new arrives.
    await new Promise((r) => setTimeout(r, 100));
    await report('after-1');
    await report('after-2');
    await expect.poll(() => reported, { timeout: 5000 }).toEqual(expect.arrayContaining(['after-1', 'after-2']));
    expect(Number((await redis.xinfo('GROUPS', stream) as unknown[]).length)).toBe(1);
    expect(await redis.xlen(stream)).toBe(0);
  });
});
