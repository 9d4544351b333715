import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger';
import { TEST_REDIS_URL } from '../../test/helpers';
import { REALTIME_ROOMS, Realtime } from './realtime';

describe('Realtime', () => {
  const pub = new Redis(TEST_REDIS_URL);
  const sub = new Redis(TEST_REDIS_URL);
  afterAll(() => {
    pub.disconnect();
    sub.disconnect();
  });

  it('batches items per event into one Frappe-format message on the permission-checked DocType room', async () => {
    const received: string[] = [];
    await sub.subscribe('events');
    sub.on('message', (_channel, message: string) => received.push(message));
    const rt = new Realtime(pub, 'site.test', createLogger('silent'), 20);
    rt.publish('integrations_delivery', { message_id: 'a' });
    rt.publish('integrations_delivery', { message_id: 'b' });
    rt.publish('integrations_inbound', { slug: 's' });
    await rt.close();
    // A sentinel on the same connection and channel: Redis delivers a connection's publishes in
    // order, so once it is here everything the Realtime published is here too.
    const sentinel = { event: 'sentinel', message: {}, room: 'none', namespace: 'site.test' };
    await pub.publish('events', JSON.stringify(sentinel));
    // Other test runs share this Redis channel: keep only this site's messages.
    const mineWith = () => received.map((m) => JSON.parse(m)).filter((m) => m.namespace === 'site.test');
    await expect.poll(mineWith, { timeout: 5000 }).toContainEqual(sentinel);
    const mine = mineWith().filter((m) => m.event !== 'sentinel');
    expect(mine).toEqual([
      { event: 'integrations_delivery', message: { items: [{ message_id: 'a' }, { message_id: 'b' }] }, room: 'doctype:Integration Webhook Delivery', namespace: 'site.test' },
      { event: 'integrations_inbound', message: { items: [{ slug: 's' }] }, room: 'doctype:Integration Inbound Event', namespace: 'site.test' },
    ]);
    expect(Object.values(REALTIME_ROOMS)).not.toContain('all');
  });

  it('does nothing without a site Redis (standalone)', async () => {
    const rt = new Realtime(null, '', createLogger('silent'));
    expect(rt.enabled).toBe(false);
    rt.publish('integrations_delivery', {});
    await rt.close();
  });
});
