import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsUnreadableError } from '../secrets/errors';
import { KeyRing, newKeyEntry, parseKeyList } from '../secrets/keyring';
import { startTestSidecar, TEST_REDIS_URL, type TestSidecar } from '../../test/helpers';
import { EndpointStore } from './endpoints';
import { inboundKeys } from './keys';
import { CertStore } from './verify/certs';

const stripe = new Stripe('sk_test_unused');
const SECRET = `whsec_${randomBytes(24).toString('base64url')}`;
const ROTATED = [`whsec_${randomBytes(24).toString('base64')}`, `whsec_${randomBytes(24).toString('base64')}`];

function stripeRequest(secret: string, id: string) {
  const body = JSON.stringify({ id, type: 'customer.created', object: 'event' });
  const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': sig } };
}

/** Inbound endpoint secrets at rest: sealed like outbound ones (README "Secrets at rest"). */
describe('inbound endpoint secrets at rest', () => {
  let sc: TestSidecar;
  const redis = new Redis(TEST_REDIS_URL);
  const k1 = newKeyEntry('k1');
  const k2 = newKeyEntry('k2');
  /** Another process's view of the same endpoints, with its own key ring. */
  const store = (ring: string[]) =>
    new EndpointStore(redis, inboundKeys(sc.prefix), async () => {}, new KeyRing(parseKeyList(ring.join(','), 'test')), { certs: new CertStore(), fetch, snsHost: /^$/ });
  const raw = (slug: string) => redis.hget(inboundKeys(sc.prefix).endpoint(slug), 'config').then((v) => v ?? '');
  beforeAll(async () => {
    sc = await startTestSidecar({ SECRETS_KEYS: k1 });
  });
  afterAll(async () => {
    await sc.close();
    redis.disconnect();
  });

  it('stores the secret sealed: the raw Redis value holds no secret, and signatures still verify', async () => {
    expect((await sc.api('/v1/inbound-endpoints/shop', { method: 'PUT', json: { provider: 'stripe', secret: SECRET } })).status).toBe(200);
    const stored = await raw('shop');
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(SECRET.slice(6, 20));
    expect(JSON.parse(stored)).toMatchObject({ provider: 'stripe', secret: expect.stringMatching(/^enc1\.k1\./) });
    expect((await fetch(`${sc.url}/v1/inbound/shop`, stripeRequest(SECRET, 'evt_1'))).status).toBe(200);
    expect((await fetch(`${sc.url}/v1/inbound/shop`, stripeRequest('whsec_wrong', 'evt_2'))).status).toBe(401);

    // A list of secrets (rotation at the provider): every element sealed, each one verifies.
    expect((await sc.api('/v1/inbound-endpoints/std', { method: 'PUT', json: { provider: 'standard', secret: ROTATED } })).status).toBe(200);
    const list = JSON.parse(await raw('std')) as { secret: string[] };
    expect(list.secret).toHaveLength(2);
    for (const s of list.secret) expect(s).toMatch(/^enc1\.k1\./);
    for (const s of ROTATED) expect(JSON.stringify(list)).not.toContain(s.slice(6, 20));
  });

  it('reads a legacy plain secret, then rewrites it sealed', async () => {
    const key = inboundKeys(sc.prefix).endpoint('legacy');
    await redis.hset(key, { config: JSON.stringify({ provider: 'stripe', secret: SECRET }), ver: 'legacy-v1', updated_at: new Date().toISOString() });
    expect((await fetch(`${sc.url}/v1/inbound/legacy`, stripeRequest(SECRET, 'evt_l1'))).status).toBe(200);
    const stored = await raw('legacy');
    expect(stored).not.toContain(SECRET);
    expect(JSON.parse(stored).secret).toMatch(/^enc1\.k1\./);
    // Sealing is a rewrite of the same config: the version (and so every process's cache) stands.
    expect(await redis.hget(key, 'ver')).toBe('legacy-v1');
    expect((await fetch(`${sc.url}/v1/inbound/legacy`, stripeRequest(SECRET, 'evt_l2'))).status).toBe(200);
  });

  it('a PUT made after a legacy value was read is never undone by its rewrite (compare-and-set)', async () => {
    const key = inboundKeys(sc.prefix).endpoint('race');
    const legacy = JSON.stringify({ provider: 'stripe', secret: 'whsec_old_plain_value' });
    await redis.hset(key, { config: legacy, ver: 'race-v1', updated_at: new Date().toISOString() });
    expect((await sc.api('/v1/inbound-endpoints/race', { method: 'PUT', json: { provider: 'stripe', secret: SECRET } })).status).toBe(200);
    // A slower process that read the legacy value before the PUT now re-seals it: it must not win.
    await (store([k1]) as unknown as { open(slug: string, raw: string): Promise<unknown> }).open('race', legacy);
    expect(await raw('race')).not.toContain('whsec_old_plain_value');
    expect((await fetch(`${sc.url}/v1/inbound/race`, stripeRequest(SECRET, 'evt_r1'))).status).toBe(200);
    expect((await fetch(`${sc.url}/v1/inbound/race`, stripeRequest('whsec_old_plain_value', 'evt_r2'))).status).toBe(401);
  });

  it('a PUT with a new secret takes effect at once (the opened secret is cached per config version)', async () => {
    const next = `whsec_${randomBytes(24).toString('base64url')}`;
    expect((await fetch(`${sc.url}/v1/inbound/shop`, stripeRequest(SECRET, 'evt_c1'))).status).toBe(200);
    expect((await sc.api('/v1/inbound-endpoints/shop', { method: 'PUT', json: { provider: 'stripe', secret: next } })).status).toBe(200);
    expect((await fetch(`${sc.url}/v1/inbound/shop`, stripeRequest(SECRET, 'evt_c2'))).status).toBe(401);
    expect((await fetch(`${sc.url}/v1/inbound/shop`, stripeRequest(next, 'evt_c3'))).status).toBe(200);
  });

  it('after rotation, key-1 secrets still verify; rekey moves them to key 2; key 1 alone then fails typed', async () => {
    const report = await store([k1, k2]).rekey();
    expect(report).toEqual({ scanned: 4, rewritten: 4 });
    for (const slug of ['shop', 'std', 'legacy', 'race']) {
      const stored = await raw(slug);
      expect(stored).toContain('enc1.k2.');
      expect(stored).not.toContain('enc1.k1.');
    }
    expect(await store([k1, k2]).rekey()).toEqual({ scanned: 4, rewritten: 0 });
    expect((await store([k2]).resolve('legacy'))?.slug).toBe('legacy');
    await expect(store([k1]).resolve('legacy')).rejects.toBeInstanceOf(SecretsUnreadableError);
    // The running sidecar (key 1 only) still has the opened secret in its cache for this version.
    expect((await fetch(`${sc.url}/v1/inbound/legacy`, stripeRequest(SECRET, 'evt_k2'))).status).toBe(200);
  });
});
