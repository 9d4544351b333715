import { afterEach, describe, expect, it } from 'vitest';
import { testRedis, uniquePrefix } from '../../test/helpers';
import { createLogger } from '../observability/logger';
import { AdmitCache } from './admit-cache';

const GO = { verdict: 'go', waitMs: 0, probe: false, fails: 0, ver: 'v1', tokAt: '', status: 'connected' } as const;

/** The cache on a real subscription: what it keeps, and when it refuses to keep or serve anything. */
describe('admit cache', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function open(ttlMs = 60_000) {
    const channel = `${uniquePrefix('admit')}:events`;
    const { redis, connections } = await testRedis('admit-cache-test', createLogger('silent'));
    const sub = connections.open('admit-cache-sub', 'waiting', { autoResubscribe: false });
    const cache = new AdmitCache(sub, channel, ttlMs);
    closers.push(() => connections.close());
    // Live once subscribed: a kept verdict is served.
    await expect.poll(() => (cache.keep('probe', GO, cache.mark(), Date.now()), cache.get('probe', Date.now()))).toBeDefined();
    return { cache, sub, publish: (id: string) => redis.publish(channel, id) };
  }

  it('serves a kept verdict until a message names the connection', async () => {
    const { cache, publish } = await open();
    cache.keep('a', GO, cache.mark(), Date.now());
    cache.keep('b', GO, cache.mark(), Date.now());
    expect(cache.get('a', Date.now())).toEqual(GO);
    await publish('a');
    await expect.poll(() => cache.get('a', Date.now())).toBeUndefined();
    expect(cache.get('b', Date.now())).toEqual(GO);
  });

  it('does not keep a verdict whose admit was in flight when a message arrived', async () => {
    const { cache, publish } = await open();
    const mark = cache.mark();
    await publish('other');
    await expect.poll(() => cache.mark()).not.toBe(mark);
    cache.keep('a', GO, mark, Date.now());
    expect(cache.get('a', Date.now())).toBeUndefined();
  });

  it('forgets a verdict after its TTL', async () => {
    const { cache } = await open(200);
    const now = Date.now();
    cache.keep('a', GO, cache.mark(), now);
    expect(cache.get('a', now + 199)).toEqual(GO);
    expect(cache.get('a', now + 200)).toBeUndefined();
  });

  it('serves nothing while its subscription is down, and again once it is back', async () => {
    const { cache, sub } = await open();
    cache.keep('a', GO, cache.mark(), Date.now());
    // A dropped connection may have lost messages: everything kept is gone, nothing is kept.
    sub.disconnect(true);
    await expect.poll(() => cache.get('a', Date.now())).toBeUndefined();
    await expect.poll(() => (cache.keep('a', GO, cache.mark(), Date.now()), cache.get('a', Date.now())), { timeout: 5000 }).toEqual(GO);
  });
});
