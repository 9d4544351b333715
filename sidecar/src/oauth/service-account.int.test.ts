import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, testKeyRing, type ConnectionsHarness } from '../../test/connections/harness';
import { uniquePrefix, dropPrefix } from '../../test/helpers';
import { startGoogleTokenEndpoint, type TestGoogleTokenEndpoint } from '../../test/oauth/google-token-endpoint';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const ACCOUNT = { email: 'sync-bot@proj-123.iam.gserviceaccount.com', keyId: '8f1c2d3e4a5b6c7d8e9f00112233445566778899', ...rsa() };
const SCOPES = ['https://www.googleapis.com/auth/drive.readonly', 'https://www.googleapis.com/auth/spreadsheets'];
/** The base64 body of the private key: whatever else a message holds, never this. */
const keyBody = (pem: string) => pem.split('\n').slice(1, 4).join('');

/**
 * Google service-account connections against a token endpoint that verifies each assertion
 * with google-auth-library and the account's public key; two harnesses on one prefix act as
 * two sidecar processes sharing one Redis.
 */
describe('Google service account (JWT bearer grant)', () => {
  let google: TestGoogleTokenEndpoint;
  let a: ConnectionsHarness;
  let b: ConnectionsHarness;
  const prefix = uniquePrefix('gsa');
  const ring = testKeyRing();
  beforeAll(async () => {
    google = await startGoogleTokenEndpoint({ accounts: [{ clientEmail: ACCOUNT.email, keyId: ACCOUNT.keyId, publicKeyPem: ACCOUNT.publicKey }], scope: SCOPES.join(' ') });
    const opts = { prefix, ring, connections: { refresher: { intervalMs: 3_600_000 } } };
    [a, b] = await Promise.all([startConnectionsHarness(opts), startConnectionsHarness(opts)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await google.close();
    await dropPrefix(prefix);
  });

  const config = (over: Record<string, unknown> = {}) => ({
    base_url: google.apiUrl,
    auth: { type: 'google_service_account', client_email: ACCOUNT.email, private_key: ACCOUNT.privateKey, private_key_id: ACCOUNT.keyId, token_uri: google.tokenUri, scopes: SCOPES, ...over },
  });

  it('keeps the private key sealed and out of GET; refuses a key that is not an RSA PEM', async () => {
    const view = await a.put('gsa-view', config());
    expect(view).toMatchObject({ status: 'connected', auth: { type: 'google_service_account', client_email: ACCOUNT.email, private_key: '[redacted]', token_uri: google.tokenUri, scopes: SCOPES } });
    const got = JSON.stringify(await (await a.api('/v1/connections/gsa-view')).json());
    expect(got).not.toContain(keyBody(ACCOUNT.privateKey));
    expect(JSON.stringify(await a.ctx.redis.hgetall(`${prefix}:cn:conn:gsa-view`))).not.toContain(keyBody(ACCOUNT.privateKey));
    for (const bad of ['not a key', ACCOUNT.publicKey, generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey]) {
      const res = await a.api('/v1/connections/gsa-bad', { method: 'PUT', json: config({ private_key: bad }) });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('invalid_request');
      if (bad.includes('-----BEGIN')) expect(JSON.stringify(body)).not.toContain(keyBody(bad));
    }
    const noScope = await a.api('/v1/connections/gsa-bad', { method: 'PUT', json: config({ scopes: [] }) });
    expect(noScope.status).toBe(400);
  });

  it('50 concurrent calls through two processes: one assertion, one token, every call authorised', async () => {
    await a.put('gsa', config());
    const before = google.tokenRequests;
    const calls = Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).proxy('gsa', { method: 'GET', path: `/files/${i}` }));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.body.status ?? r.body.error?.code)).toEqual(Array(50).fill(200));
    expect(google.tokenRequests - before).toBe(1);
    expect(google.apiCalls.rejected).toBe(0);
    const claims = google.accepted.at(-1)!;
    expect(claims).toMatchObject({ iss: ACCOUNT.email, aud: google.tokenUri, scope: SCOPES.join(' ') });
    expect(claims.sub).toBeUndefined();
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    // A later call uses the cached token.
    expect((await a.proxy('gsa', { method: 'GET', path: '/again' })).body.status).toBe(200);
    expect(google.tokenRequests - before).toBe(1);
  });

  it('fetches a new token shortly before the old one expires, and after it expired', async () => {
    google.expiresInS = 2;
    try {
      await a.put('gsa-short', config({ refresh_margin_s: 1 }));
      const before = google.tokenRequests;
      expect((await a.proxy('gsa-short', { method: 'GET', path: '/one' })).body.status).toBe(200);
      expect((await b.proxy('gsa-short', { method: 'GET', path: '/two' })).body.status).toBe(200);
      expect(google.tokenRequests - before).toBe(1);
      // Inside the margin (2 s lifetime, 1 s margin): still valid, but renewed before use.
      await sleep(1200);
      expect((await b.proxy('gsa-short', { method: 'GET', path: '/three' })).body.status).toBe(200);
      expect(google.tokenRequests - before).toBe(2);
      // Idle past the expiry: the expired token is not sent, a new one is fetched.
      await sleep(2200);
      expect((await a.proxy('gsa-short', { method: 'GET', path: '/four' })).body.status).toBe(200);
      expect(google.tokenRequests - before).toBe(3);
      expect(google.apiCalls.rejected).toBe(0);
    } finally {
      google.expiresInS = 3599;
    }
  });

  it('sends the subject for domain-wide delegation', async () => {
    google.subject = 'alice@example.com';
    try {
      await a.put('gsa-sub', config({ subject: 'alice@example.com' }));
      expect((await a.proxy('gsa-sub', { method: 'GET', path: '/as-alice' })).body.status).toBe(200);
      expect(google.accepted.at(-1)).toMatchObject({ sub: 'alice@example.com', iss: ACCOUNT.email });
    } finally {
      google.subject = undefined;
    }
  });

  it('a key the account does not have: oauth_error naming invalid_grant, no secret in the message, last error kept', async () => {
    const wrong = rsa();
    await a.put('gsa-wrong', config({ private_key: wrong.privateKey }));
    const refusedBefore = google.refused.length;
    const r = await a.proxy('gsa-wrong', { method: 'GET', path: '/x' });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'oauth_error', details: { error: 'invalid_grant' } });
    expect(r.body.error.message).toContain('Invalid JWT Signature');
    expect(google.refused.slice(refusedBefore).join()).toMatch(/signature/i);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(keyBody(wrong.privateKey));
    expect(text).not.toContain('eyJ'); // no assertion either
    const view = (await (await a.api('/v1/connections/gsa-wrong')).json()) as any;
    expect(view).toMatchObject({ status: 'error', last_error: expect.stringContaining('invalid_grant') });
    expect(google.apiCalls.rejected).toBe(0);

    // The right key again: calls work and the error is cleared.
    await a.put('gsa-wrong', config());
    expect((await a.proxy('gsa-wrong', { method: 'GET', path: '/x' })).body.status).toBe(200);
    expect((await (await a.api('/v1/connections/gsa-wrong')).json()) as any).toMatchObject({ status: 'connected', last_error: null });
  });

  it('an assertion for another audience is refused by the verifier (aud is bound to token_uri)', async () => {
    // Same key, but the token endpoint is reached through a URL the verifier does not expect.
    await a.put('gsa-aud', config({ token_uri: `${google.tokenUri}?via=alias` }));
    const r = await a.proxy('gsa-aud', { method: 'GET', path: '/x' });
    expect(r.body.error?.code).toBe('oauth_error');
    expect(google.refused.at(-1)).toMatch(/audience/i);
  });
});
