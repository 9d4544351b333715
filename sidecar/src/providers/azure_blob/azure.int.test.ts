import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { DEV_ACCOUNT, startAzurite, type Azurite } from '../../../test/providers/azurite';
import { PART_SIZE } from '../objects-route';

/**
 * The azure_blob provider and the `azure_shared_key` auth against azurite (npm), which checks
 * every Shared Key signature and SAS as Azure does: a 2xx is a signature azurite recomputed.
 */
describe('azure_blob against azurite', () => {
  let az: Azurite;
  let h: ConnectionsHarness;
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const conn = (base: string, key = DEV_ACCOUNT.key) => ({ base_url: base, provider: 'azure_blob', auth: { type: 'azure_shared_key', account: DEV_ACCOUNT.account, key } });
  const call = async (id: string, operation: string, params: Record<string, unknown>) => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: { operation, params } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    az = await startAzurite();
    h = await startConnectionsHarness();
    await h.put('account', { ...conn(az.url), provider: null });
    const made = await h.proxy('account', { method: 'PUT', path: '/files', query: { restype: 'container' }, headers: { 'x-ms-version': '2021-08-06' } });
    expect(made.body.status, JSON.stringify(made.body)).toBe(201);
    await h.put('blobs', conn(`${az.url}/files`));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await az?.stop();
  });

  it('keeps the account key sealed and out of every answer', async () => {
    const view = (await (await h.api('/v1/connections/blobs')).json()) as Record<string, unknown>;
    expect(view.auth).toEqual({ type: 'azure_shared_key', account: DEV_ACCOUNT.account, key: '[redacted]' });
    expect(JSON.stringify(await h.ctx.redis.hgetall(`${h.prefix}:cn:conn:blobs`))).not.toContain(DEV_ACCOUNT.key);
    const bad = await h.api('/v1/connections/x', { method: 'PUT', json: { ...conn(az.url), auth: { type: 'azure_shared_key', account: 'Bad_Name', key: 'not base64!' } } });
    expect(bad.status).toBe(400);
  });

  it('puts, heads, gets, lists and deletes blobs with Shared Key (names that need encoding)', async () => {
    const k = 'reports/2026 Q4/für+日本(1).txt';
    expect((await call('blobs', 'objects.put', { key: k, content: 'hello, container', content_type: 'text/plain' })).body.result).toMatchObject({ key: k, size: 16, parts: 1 });
    expect((await call('blobs', 'objects.head', { key: k })).body.result).toMatchObject({ exists: true, size: 16, content_type: 'text/plain' });
    expect(Buffer.from((await call('blobs', 'objects.get', { key: k })).body.result.content, 'base64').toString()).toBe('hello, container');
    await call('blobs', 'objects.put', { key: 'reports/z.bin', content: 'AAEC', encoding: 'base64' });
    const page = (await call('blobs', 'objects.list', { prefix: 'reports/', max_keys: 1 })).body.result;
    expect(page).toMatchObject({ truncated: true, objects: [{ key: k, size: 16 }] });
    const rest = (await call('blobs', 'objects.list', { prefix: 'reports/', continuation_token: page.next_token })).body.result;
    expect(rest).toMatchObject({ truncated: false, objects: [{ key: 'reports/z.bin', size: 3 }] });
    await call('blobs', 'objects.delete', { key: k });
    expect((await call('blobs', 'objects.head', { key: k })).body.result.exists).toBe(false);
    expect((await call('blobs', 'objects.get', { key: k })).body).toMatchObject({ error: { code: 'provider_rejected', details: { status: 404, provider_code: 'BlobNotFound' } } });
  });

  it('a wrong account key is refused by azurite (403), its signature checked', async () => {
    await h.put('wrong', conn(`${az.url}/files`, Buffer.from(randomBytes(64)).toString('base64')));
    const r = await call('wrong', 'objects.head', { key: 'reports/z.bin' });
    expect(r.body).toMatchObject({ error: { code: 'provider_rejected', details: { status: 403 } } });
  });

  it('SAS URLs: a PUT then a GET made with them alone succeed; tampered or expired ones are refused', async () => {
    const put = (await call('blobs', 'objects.signed_url', { key: 'shared/a b.txt', method: 'PUT', content_type: 'text/plain', expires_s: 60 })).body.result;
    expect(put.url).toContain('sig=');
    expect(put.url).not.toContain(DEV_ACCOUNT.key);
    const up = await fetch(put.url, { method: 'PUT', body: 'via SAS', headers: put.headers });
    expect(up.status, await up.clone().text()).toBe(201);
    const get = (await call('blobs', 'objects.signed_url', { key: 'shared/a b.txt', download_name: 'rapport été.txt' })).body.result;
    const res = await fetch(get.url);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.text()).toBe('via SAS');
    expect(res.headers.get('content-disposition')).toContain("filename*=UTF-8''rapport%20%C3%A9t%C3%A9.txt");
    // Read-only SAS cannot write; another blob's name breaks the signature.
    expect((await fetch(get.url, { method: 'PUT', body: 'x', headers: { 'x-ms-blob-type': 'BlockBlob' } })).status).toBe(403);
    expect((await fetch(get.url.replace('shared/a%20b.txt', 'shared/other.txt'))).status).toBe(403);
    const u = new URL(get.url);
    u.searchParams.set('se', '2020-01-01T00:00:00Z');
    expect((await fetch(u)).status).toBe(403);
  });

  it('streams a large file as blocks and a small one in one Put Blob; both come back whole', async () => {
    const small = randomBytes(300_000);
    const r1 = await h.api('/v1/connections/blobs/objects/big/small.bin', { method: 'PUT', body: small, headers: { 'content-type': 'application/octet-stream' } });
    expect(await r1.json()).toMatchObject({ size: small.length, parts: 1 });
    const large = randomBytes(PART_SIZE * 2 + 777);
    const r2 = await h.api('/v1/connections/blobs/objects/big/large.bin', { method: 'PUT', body: large, headers: { 'content-type': 'application/x-test' } });
    expect(r2.status).toBe(201);
    expect(await r2.json()).toMatchObject({ key: 'big/large.bin', size: large.length, parts: 3 });
    const d = await h.api('/v1/connections/blobs/objects/big/large.bin');
    expect(d.headers.get('content-type')).toBe('application/x-test');
    expect(sha(Buffer.from(await d.arrayBuffer()))).toBe(sha(large));
    const part = await h.api('/v1/connections/blobs/objects/big/small.bin', { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(small.subarray(10, 20))).toBe(true);
  }, 60_000);
});
