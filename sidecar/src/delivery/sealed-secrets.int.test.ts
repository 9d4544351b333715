import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../../test/helpers';
import { SecretsUnreadableError } from '../secrets/errors';
import { KeyRing } from '../secrets/keyring';
import { EndpointStore } from './endpoints';
import { DeliveryKeys } from './keys';
import { EndpointInput } from './schemas';

const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
const input = (extra: Record<string, unknown> = {}) =>
  EndpointInput.parse({ url: 'https://hooks.example/x', secrets: [WHSEC], headers: { Authorization: 'Bearer hdr-s3cret' }, ...extra });

describe('webhook endpoint secrets at rest', () => {
  const prefix = uniquePrefix('seal');
  const redis = new Redis(TEST_REDIS_URL);
  const keys = new DeliveryKeys(prefix);
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const cfg = (id: string) => redis.hget(keys.endpoint(id), 'cfg').then((v) => v ?? '');
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('stores the secret and header values sealed, and GET shows neither', async () => {
    const store = new EndpointStore(redis, keys, new KeyRing([k1]));
    await store.put('a', input());
    const raw = await cfg('a');
    expect(raw).not.toContain(WHSEC.slice(6, 20));
    expect(raw).not.toContain('hdr-s3cret');
    expect(raw).toContain('enc1.k1.');
    const view = await store.get('a');
    expect(JSON.stringify(view)).not.toContain('hdr-s3cret');
    expect(view).toMatchObject({ headers: { Authorization: '[redacted]' }, secrets: [{ prefix: 'whsec_' + WHSEC.slice(6, 8) + '…' }] });
    const rt = await store.runtime('a');
    expect(rt!.headers.Authorization).toBe('Bearer hdr-s3cret');
  });

  it('reads a legacy plain config once, then it is stored sealed', async () => {
    const legacy = { ...input(), secrets: [{ value: WHSEC, expires_at: null }], created_at: 'x', updated_at: 'x' };
    await redis.hset(keys.endpoint('legacy'), { cfg: JSON.stringify(legacy), enabled: '1', ordered: '0' });
    const store = new EndpointStore(redis, keys, new KeyRing([k1]));
    const rt = await store.runtime('legacy');
    expect(rt!.headers.Authorization).toBe('Bearer hdr-s3cret');
    expect(rt!.secrets).toHaveLength(1);
    const raw = await cfg('legacy');
    expect(raw).not.toContain('hdr-s3cret');
    expect(raw).toContain('enc1.k1.');
  });

  it('after rotation to key 2 reads key-1 values, rekey moves all to key 2, and key 1 alone then fails typed', async () => {
    const rotated = new EndpointStore(redis, keys, new KeyRing([k1, k2]));
    const report = await rotated.rekey();
    expect(report.rewritten).toBeGreaterThanOrEqual(2);
    for (const id of ['a', 'legacy']) {
      const raw = await cfg(id);
      expect(raw).not.toContain('enc1.k1.');
      expect(raw).toContain('enc1.k2.');
    }
    expect((await rotated.rekey()).rewritten).toBe(0);
    expect((await new EndpointStore(redis, keys, new KeyRing([k2])).runtime('a'))!.headers.Authorization).toBe('Bearer hdr-s3cret');
    await expect(new EndpointStore(redis, keys, new KeyRing([k1])).runtime('a')).rejects.toBeInstanceOf(SecretsUnreadableError);
  });

  it('a rewrite never undoes a PUT made in between (compare-and-set on the read value)', async () => {
    const store = new EndpointStore(redis, keys, new KeyRing([k1]));
    const legacy = { ...input(), secrets: [{ value: WHSEC, expires_at: null }], created_at: 'x', updated_at: 'x' };
    await redis.hset(keys.endpoint('race'), { cfg: JSON.stringify(legacy), enabled: '1', ordered: '0' });
    const raw = await cfg('race');
    await store.put('race', input({ url: 'https://hooks.example/new' }));
    // The legacy value read before the PUT is stale now; re-sealing it must not win.
    await (store as unknown as { open(id: string, raw: string): Promise<unknown> }).open('race', raw);
    expect((await store.runtime('race'))!.url).toBe('https://hooks.example/new');
  });
});
