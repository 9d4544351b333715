import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../test/helpers';
import { FrappeClient } from '../frappe/client';
import { OUTBOX_GROUP, outboxStream } from './outbox-consumer';
import { startDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type TestReceiver } from '../../test/delivery/receiver';

const ACK = 'integrations_app.api.sidecar.acknowledge_messages';

/** A stand-in Frappe site that records the whitelisted calls the reporter makes. */
function fakeFrappe() {
  const calls: Array<{ method: string; body: Record<string, any> }> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    calls.push({ method: String(input).split('/api/method/')[1]!, body: JSON.parse(String(init?.body)) as Record<string, any> });
    return Response.json({ message: { updated: 0 } });
  };
  const client = new FrappeClient({ url: 'http://frappe.test', apiKey: 'k', apiSecret: 's', fetch: fetchImpl });
  const acks = () => calls.filter((c) => c.method === ACK);
  // An outcome report acknowledges its message as well (report_deliveries sets `acked`).
  const acked = () =>
    calls.flatMap((c) => (c.method === ACK ? (c.body.accepted as string[]) : ((c.body.outcomes ?? []) as Array<{ message_id: string }>).map((o) => o.message_id)));
  return { client, calls, acks, acked };
}

/** What Frappe's after-commit hand-off writes: one entry per commit, its rows as messages. */
function entry(ids: string[], endpoint = 'ep') {
  return JSON.stringify(ids.map((id) => ({ id, endpoint_id: endpoint, event_type: 'todo.created', timestamp: '2025-01-15T09:00:00.000Z', payload: { name: id } })));
}

const uniqueSite = () => `iatest-${randomBytes(4).toString('hex')}.localhost`;
const ids = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}-${i}`);

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function countById(rx: TestReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rx.received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

/** Frappe's redis_queue stand-in: the shared test Redis, under a site name no other run uses. */
function frappeSide() {
  const site = uniqueSite();
  const stream = outboxStream(site);
  const redis = new Redis(TEST_REDIS_URL);
  return {
    site,
    stream,
    redis,
    handOff: (ids: string[], endpoint?: string) => redis.xadd(stream, 'MAXLEN', '~', 1000, '*', 'm', entry(ids, endpoint)),
    drained: async () => (await redis.xlen(stream)) === 0 && Number((await redis.xpending(stream, OUTBOX_GROUP))[0]) === 0,
    close: async () => {
      await redis.del(stream);
      redis.disconnect();
    },
  };
}

describe('outbox hand-off through Frappe\'s redis_queue', () => {
  const frappe = fakeFrappe();
  const side = frappeSide();
  let h: DeliveryHarness;
  let rx: TestReceiver;
  beforeAll(async () => {
    h = await startDeliveryHarness({
      env: { FRAPPE_REDIS_URL: TEST_REDIS_URL, FRAPPE_SITE: side.site },
      frappe: frappe.client,
      delivery: { reporter: { intervalMs: 50 }, outbox: { blockMs: 200 } },
    });
    rx = await startReceiver();
    await h.putEndpoint('ep', { url: rx.url, signing: 'none' });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
    await side.close();
  });

  it('delivers every handed-over row once and acknowledges each to Frappe, in batches', async () => {
    const sent = ids('a', 50);
    for (let i = 0; i < 50; i += 10) await side.handOff(sent.slice(i, i + 10));
    await until(() => sent.every((id) => frappe.acked().includes(id)), 'the acknowledgements');
    for (const id of sent) await h.waitForStatus(id, ['succeeded']);
    await until(side.drained, 'the stream to be empty');
    const counts = countById(rx);
    expect(sent.map((id) => counts.get(id))).toEqual(sent.map(() => 1));
    expect(frappe.calls.length).toBeLessThan(10); // one call carries several commits' rows
    expect(await h.ctx.redis.xlen(h.module.service.keys.reports)).toBe(0);
  });

  it('takes a repeated hand-off as a duplicate: acknowledged again, not delivered again', async () => {
    const again = ids('a', 10);
    const before = frappe.acked().filter((id) => again.includes(id)).length;
    await side.handOff(again);
    await until(() => frappe.acked().filter((id) => again.includes(id)).length === before + 10, 'the second acknowledgements');
    await until(side.drained, 'the stream to be empty');
    const counts = countById(rx);
    expect(again.map((id) => counts.get(id))).toEqual(again.map(() => 1));
  });

  it('drops an unreadable entry without blocking the next, and reports rejected rows', async () => {
    await side.redis.xadd(side.stream, '*', 'm', '{not json');
    await side.redis.xadd(side.stream, '*', 'm', JSON.stringify([{ id: 'x', endpoint_id: 'ep' }]));
    await side.handOff(['lost-1'], 'no-such-endpoint');
    await side.handOff(['b-1']);
    await h.waitForStatus('b-1', ['succeeded']);
    await until(() => frappe.acks().some((c) => c.body.rejected.some((r: { id: string }) => r.id === 'lost-1')), 'the rejection');
    const rejection = frappe.acks().flatMap((c) => c.body.rejected)[0];
    expect(rejection).toMatchObject({ id: 'lost-1', code: 'endpoint_not_found' });
    expect(frappe.acked()).not.toContain('lost-1');
    await until(side.drained, 'the stream to be empty');
  });
});

describe('outbox hand-off after a consumer died', () => {
  const frappe = fakeFrappe();
  const side = frappeSide();
  let h: DeliveryHarness;
  let rx: TestReceiver;
  afterAll(async () => {
    await h?.close();
    await rx?.close();
    await side.close();
  });

  it('claims what the dead one had read, and delivers rows it had already accepted only once', async () => {
    const rows = ids('c', 4);
    await side.redis.xgroup('CREATE', side.stream, OUTBOX_GROUP, '0', 'MKSTREAM');
    await side.handOff(rows);
    // The dead process read the entry (and, below, accepted half of it) but never acknowledged it.
    const read = (await side.redis.xreadgroup('GROUP', OUTBOX_GROUP, 'dead-consumer', 'COUNT', 10, 'STREAMS', side.stream, '>')) as unknown[];
    expect(read).toHaveLength(1);
    h = await startDeliveryHarness({
      env: { FRAPPE_REDIS_URL: TEST_REDIS_URL, FRAPPE_SITE: side.site },
      frappe: frappe.client,
      delivery: { reporter: { intervalMs: 50 }, outbox: { blockMs: 200, claimIdleMs: 1500 } },
    });
    rx = await startReceiver();
    await h.putEndpoint('ep', { url: rx.url, signing: 'none' });
    const early = await h.postMessages(JSON.parse(entry(rows.slice(0, 2))) as unknown[]);
    expect(early.accepted).toEqual(rows.slice(0, 2));

    await until(() => rows.every((id) => frappe.acked().includes(id)), 'the acknowledgements after the claim');
    for (const id of rows) await h.waitForStatus(id, ['succeeded']);
    await until(side.drained, 'the stream to be empty');
    const counts = countById(rx);
    expect(rows.map((id) => counts.get(id))).toEqual([1, 1, 1, 1]);
  });
});

/**
 * Frappe's Redis lost its data (FLUSHALL, a restart without persistence): the outbox stream and
 * its consumer group are gone. The consumer recreates the group and takes new hand-offs. The
 * flush is FLUSHDB on a database of this test's own (index 15), never the shared database 0.
 */
describe('outbox hand-off after Frappe\'s Redis lost its data', () => {
  const url = `${TEST_REDIS_URL}/15`;
  const frappe = fakeFrappe();
  const site = uniqueSite();
  const stream = outboxStream(site);
  const redis = new Redis(url);
  let h: DeliveryHarness;
  let rx: TestReceiver;
  beforeAll(async () => {
    await redis.flushdb();
    h = await startDeliveryHarness({
      env: { FRAPPE_REDIS_URL: url, FRAPPE_SITE: site },
      frappe: frappe.client,
      delivery: { reporter: { intervalMs: 50 }, outbox: { blockMs: 200, maxBackoffMs: 300 } },
    });
    rx = await startReceiver();
    await h.putEndpoint('ep', { url: rx.url, signing: 'none' });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
    await redis.flushdb();
    redis.disconnect();
  });

  it('recreates its consumer group after a flush, and hand-offs flow again', async () => {
    await redis.xadd(stream, '*', 'm', entry(['before-flush']));
    await until(() => frappe.acked().includes('before-flush'), 'the first acknowledgement');
    await redis.flushdb();
    // Let the consumer hit the missing group before anything new arrives.
    await new Promise((r) => setTimeout(r, 400));
    await redis.xadd(stream, '*', 'm', entry(['after-flush-1', 'after-flush-2']));
    await until(() => ['after-flush-1', 'after-flush-2'].every((id) => frappe.acked().includes(id)), 'the acknowledgements after the flush');
    for (const id of ['after-flush-1', 'after-flush-2']) await h.waitForStatus(id, ['succeeded']);
    expect(((await redis.xinfo('GROUPS', stream)) as unknown[]).length).toBe(1);
  });
});
