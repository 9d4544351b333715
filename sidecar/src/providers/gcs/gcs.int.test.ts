import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { startGcsEmulator, type GcsEmulator } from '../../../test/providers/gcs-emulator';
import { startGoogleTokenEndpoint, type TestGoogleTokenEndpoint } from '../../../test/oauth/google-token-endpoint';
import { PART_SIZE } from '../objects-route';

/**
 * The gcs provider against gcp-storage-emulator (PyPI), with the service account's access token
 * obtained from a Google-format token endpoint that verifies its JWT assertions with
 * google-auth-library. The emulator checks neither tokens nor signed URLs: signatures are proven
 * against Google's conformance vectors (signing.test.ts); here, that the URLs reach the object.
 */
describe('gcs against gcp-storage-emulator', () => {
  let emu: GcsEmulator;
  let google: TestGoogleTokenEndpoint;
  let h: ConnectionsHarness;
  const kp = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const call = async (operation: string, params: Record<string, unknown>) => {
    const res = await h.api('/v1/connections/gcs/call', { method: 'POST', json: { operation, params } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    emu = await startGcsEmulator('files');
    google = await startGoogleTokenEndpoint({ accounts: [{ clientEmail: 'store@p.iam.gserviceaccount.com', keyId: 'k1', publicKeyPem: kp.publicKey }], scope: 'https://www.googleapis.com/auth/devstorage.read_write' });
    h = await startConnectionsHarness();
    await h.put('gcs', {
      base_url: `${emu.url}/files`, provider: 'gcs',
      auth: { type: 'google_service_account', client_email: 'store@p.iam.gserviceaccount.com', private_key: kp.privateKey, private_key_id: 'k1', token_uri: google.tokenUri, scopes: ['https://www.googleapis.com/auth/devstorage.read_write'] },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await google?.close();
    await emu?.stop();
  });

  it('puts, heads, gets, lists and deletes with the service account\'s token', async () => {
    const k = 'reports/2026 Q4/für+日本(1).txt';
    expect((await call('objects.put', { key: k, content: 'hello, gcs', content_type: 'text/plain' })).body.result).toMatchObject({ key: k, size: 10, parts: 1 });
    expect(google.accepted.length).toBeGreaterThan(0);
    expect((await call('objects.head', { key: k })).body.result).toMatchObject({ exists: true, key: k, size: 10 });
    expect(Buffer.from((await call('objects.get', { key: k })).body.result.content, 'base64').toString()).toBe('hello, gcs');
    await call('objects.put', { key: 'reports/z.bin', content: 'AAEC', encoding: 'base64' });
    const page = (await call('objects.list', { prefix: 'reports/' })).body.result;
    expect(page.objects.map((o: { key: string }) => o.key).sort()).toEqual([k, 'reports/z.bin']);
    await call('objects.delete', { key: k });
    expect((await call('objects.head', { key: k })).body.result).toEqual({ exists: false, key: k });
    expect((await call('objects.get', { key: k })).body).toMatchObject({ error: { code: 'provider_rejected', details: { status: 404 } } });
  });

  it('signed GET and PUT URLs reach the object on their own (no token)', async () => {
    const put = (await call('objects.signed_url', { key: 'shared/a b.txt', method: 'PUT', content_type: 'text/plain' })).body.result;
    expect(new URL(put.url).searchParams.get('X-Goog-Credential')).toMatch(/^store@p\.iam\.gserviceaccount\.com\/\d{8}\/auto\/storage\/goog4_request$/);
    expect(put.url).not.toContain('PRIVATE KEY');
    expect((await fetch(put.url, { method: 'PUT', body: 'via signed PUT', headers: put.headers })).ok).toBe(true);
    const get = (await call('objects.signed_url', { key: 'shared/a b.txt' })).body.result;
    const res = await fetch(get.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('via signed PUT');
  });

  it('streams a large file through a resumable session and back', async () => {
    const large = randomBytes(PART_SIZE * 2 + 4321);
    const up = await h.api('/v1/connections/gcs/objects/big/large.bin', { method: 'PUT', body: large, headers: { 'content-type': 'application/x-test' } });
    const answer = await up.json();
    expect(up.status, JSON.stringify(answer)).toBe(201);
    expect(answer).toMatchObject({ key: 'big/large.bin', size: large.length, parts: 3 });
    const d = await h.api('/v1/connections/gcs/objects/big/large.bin');
    expect(d.status).toBe(200);
    expect(sha(Buffer.from(await d.arrayBuffer()))).toBe(sha(large));
  }, 60_000);
});
