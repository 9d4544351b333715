import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { motoUser, startMoto, type MotoServer } from '../../../test/connections/moto';
import { smithyPresign } from '../../../test/connections/smithy';
import { startFaultProxy } from '../../../test/providers/fault-proxy';
import { PART_SIZE } from '../objects-route';
import { presignSigV4 } from '../../connections/auth/sigv4';

/**
 * The amazon_s3 provider against moto with signature checks on (every request, presigned URLs
 * included, is verified by moto as AWS would), through the real HTTP stack: JSON operations via
 * `/call`, object bytes via the streaming `/objects/{key}` routes.
 */
describe('amazon_s3 against moto', () => {
  let moto: MotoServer;
  let h: ConnectionsHarness;
  /** A sidecar without a spool (UPLOAD_SPOOL_DIR=off): large uploads go through chunk-signed. */
  let unspooled: ConnectionsHarness;
  const spoolDir = mkdtempSync(join(tmpdir(), 'ia-s3-spool-'));
  const spooled = () => readdirSync(spoolDir);
  let key: { id: string; secret: string };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const s3 = (base: string) => ({
    base_url: base, provider: 'amazon_s3', max_attempts: 2, max_wait_ms: 1000,
    auth: { type: 'aws_sigv4', access_key_id: key.id, secret_access_key: key.secret, region: 'us-east-1', service: 's3' },
  });
  const call = async (id: string, operation: string, params: Record<string, unknown>) => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: { operation, params } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const upload = (id: string, k: string, body: Buffer, type = 'application/octet-stream', via = h) =>
    via.api(`/v1/connections/${id}/objects/${k}`, { method: 'PUT', body, headers: { 'content-type': type } });
  /** The same body sent chunked (no Content-Length), 1 MiB at a time: its size is unknown until it ends. */
  const uploadChunked = (id: string, k: string, body: Buffer) => {
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= body.length) return c.close();
        c.enqueue(body.subarray(at, (at += 1024 * 1024)));
      },
    });
    return h.api(`/v1/connections/${id}/objects/${k}`, { method: 'PUT', body: stream, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } } as RequestInit);
  };
  const uploads = async (bucket: string) => (await h.proxy('raw', { method: 'GET', path: `/${bucket}`, query: { uploads: '' } })).body.body as string;

  beforeAll(async () => {
    moto = await startMoto({ noAuthActions: 3 });
    h = await startConnectionsHarness({ env: { UPLOAD_SPOOL_DIR: spoolDir } });
    unspooled = await startConnectionsHarness({ env: { UPLOAD_SPOOL_DIR: 'off' } });
    key = await motoUser(moto, h);
    await h.put('raw', { ...s3(moto.url), provider: null });
    for (const b of ['files', 'faults']) expect((await h.proxy('raw', { method: 'PUT', path: `/${b}` })).body.status).toBe(200);
    await h.put('files', s3(`${moto.url}/files`));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await unspooled?.close();
    await moto?.stop();
  });

  it('puts, heads, gets, lists and deletes through /call, with keys that need encoding', async () => {
    const k = 'reports/2026 Q4/für+日本(1).txt';
    const put = await call('files', 'objects.put', { key: k, content: 'hello, bucket', content_type: 'text/plain' });
    expect(put).toMatchObject({ status: 200, body: { provider: 'amazon_s3', result: { key: k, size: 13, parts: 1 } } });
    expect((await call('files', 'objects.head', { key: k })).body.result).toMatchObject({ exists: true, size: 13, content_type: 'text/plain' });
    const got = (await call('files', 'objects.get', { key: k })).body.result;
    expect(Buffer.from(got.content, 'base64').toString()).toBe('hello, bucket');
    await call('files', 'objects.put', { key: 'reports/other.bin', content: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64' });
    const list = (await call('files', 'objects.list', { prefix: 'reports/', max_keys: 1 })).body.result;
    expect(list).toMatchObject({ truncated: true, objects: [{ key: k, size: 13 }] });
    const rest = (await call('files', 'objects.list', { prefix: 'reports/', continuation_token: list.next_token })).body.result;
    expect(rest.objects.map((o: { key: string }) => o.key)).toEqual(['reports/other.bin']);
    expect((await call('files', 'objects.delete', { key: k })).body.result).toEqual({ key: k, deleted: true });
    expect((await call('files', 'objects.head', { key: k })).body.result).toEqual({ exists: false, key: k });
    const missing = await call('files', 'objects.get', { key: k });
    expect(missing).toMatchObject({ status: 422, body: { error: { code: 'provider_rejected', details: { provider: 'amazon_s3', status: 404, provider_code: 'NoSuchKey' } } } });
  });

  it('refuses keys with dot segments or control characters (400), before any request', async () => {
    for (const bad of ['a/../b', '/lead', 'a//b', 'tab\there']) {
      const r = await call('files', 'objects.put', { key: bad, content: 'x' });
      expect(r.status).toBe(400);
    }
  });

  // moto checks header signatures only (a presigned request makes its IAM mode fail with a 500),
  // so the URLs are compared with the AWS SDK's presigner for the signature, and used against a
  // moto without auth checks for the rest (path and query encoding, disposition, methods).
  it('presigned GET and PUT URLs are the AWS SDK presigner\'s, and work against moto', async () => {
    const date = new Date('2026-11-30T21:00:00Z');
    const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const cases = [
      { method: 'GET', path: '/bucket/test.txt', query: [['response-content-disposition', 'attachment; filename="rapport été.txt"']] as Array<[string, string]>, headers: {} as Record<string, string> },
      { method: 'PUT', path: '/bucket/dir/a%20b%2Bc%28d%29.txt', query: [] as Array<[string, string]>, headers: { 'content-type': 'text/plain' } },
    ];
    for (const c of cases) {
      const ours = new URLSearchParams(presignSigV4({ method: c.method, host: 's3.us-east-1.amazonaws.com', path: c.path, query: c.query, headers: c.headers, expiresS: 900 }, { credentials, region: 'us-east-1', service: 's3', date }));
      const theirs = await smithyPresign({ method: c.method, host: 's3.us-east-1.amazonaws.com', path: c.path, query: Object.fromEntries(c.query), headers: c.headers }, { credentials, region: 'us-east-1', date, expiresS: 900 });
      expect(Object.fromEntries(ours)).toEqual(theirs);
    }

    const open = await startMoto();
    try {
      await h.put('open', s3(`${open.url}/open`));
      await h.put('raw-open', { ...s3(open.url), provider: null });
      expect((await h.proxy('raw-open', { method: 'PUT', path: '/open' })).body.status).toBe(200);
      const put = (await call('open', 'objects.signed_url', { key: 'shared/a b.txt', method: 'PUT', content_type: 'text/plain', expires_s: 60 })).body.result;
      expect(put).toMatchObject({ method: 'PUT', headers: { 'content-type': 'text/plain' } });
      expect(new URL(put.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
      expect(put.url).not.toContain(key.secret);
      expect((await fetch(put.url, { method: 'PUT', body: 'via presigned PUT', headers: put.headers })).status).toBe(200);
      const get = (await call('open', 'objects.signed_url', { key: 'shared/a b.txt', download_name: 'rapport été.txt' })).body.result;
      expect(Date.parse(get.expires_at) - Date.now()).toBeGreaterThan(290_000);
      const res = await fetch(get.url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('via presigned PUT');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="rapport _t_.txt"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9.txt`);
    } finally {
      await open.stop();
    }
  });

  it('streams a small file in one PUT, a large one of known size in one PUT kept on disk and signed whole, one of unknown size as a multipart upload; all come back byte for byte, ranges too', async () => {
    const small = randomBytes(1024 * 1024);
    const r1 = await upload('files', 'big/one%20MiB.bin', small);
    expect(r1.status).toBe(201);
    expect(await r1.json()).toMatchObject({ key: 'big/one MiB.bin', size: small.length, parts: 1 });
    const large = randomBytes(PART_SIZE * 2 + 12345);
    const r2 = await upload('files', 'big/large.bin', large, 'application/x-test');
    expect(await r2.json()).toMatchObject({ key: 'big/large.bin', size: large.length, parts: 1 });
    const r3 = await uploadChunked('files', 'big/chunked.bin', large);
    expect(await r3.json()).toMatchObject({ key: 'big/chunked.bin', size: large.length, parts: 3 });
    expect(await uploads('files')).not.toContain('<Upload>');
    const d3 = await h.api('/v1/connections/files/objects/big/chunked.bin');
    expect(sha(Buffer.from(await d3.arrayBuffer()))).toBe(sha(large));
    // aws-chunked is how it travelled, not what it is: S3 must not keep it as the object's encoding.
    expect((await call('files', 'objects.head', { key: 'big/large.bin' })).body.result).toMatchObject({ size: large.length, content_type: 'application/x-test' });

    const d1 = await h.api('/v1/connections/files/objects/big/one%20MiB.bin');
    expect(d1.status).toBe(200);
    expect(sha(Buffer.from(await d1.arrayBuffer()))).toBe(sha(small));
    const d2 = await h.api('/v1/connections/files/objects/big/large.bin');
    expect(d2.headers.get('content-type')).toBe('application/x-test');
    expect(Number(d2.headers.get('content-length'))).toBe(large.length);
    expect(sha(Buffer.from(await d2.arrayBuffer()))).toBe(sha(large));
    const part = await h.api('/v1/connections/files/objects/big/large.bin', { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(large.subarray(100, 200))).toBe(true);
    const none = await h.api('/v1/connections/files/objects/big/none.bin');
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await h.api('/v1/connections/files/objects/big/large.bin', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(spooled()).toEqual([]);
  }, 60_000);

  // moto checks each request's (seed) signature; the chunk signatures are checked against AWS's
  // own example in sigv4-chunked.test.ts.
  it('without a spool, a large upload of known size goes through as one chunk-signed PUT, byte for byte', async () => {
    const relay = await startFaultProxy(moto.url, () => false);
    try {
      await unspooled.put('relayed', s3(`${relay.url}/files`));
      const large = randomBytes(PART_SIZE * 2 + 999);
      const r = await upload('relayed', 'big/unspooled.bin', large, 'application/x-test', unspooled);
      expect(await r.json()).toMatchObject({ key: 'big/unspooled.bin', size: large.length, parts: 1 });
      const sent = relay.headers[relay.seen.indexOf('PUT /files/big/unspooled.bin')]!;
      expect(sent).toMatchObject({ 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': String(large.length) });
      const back = await h.api('/v1/connections/files/objects/big/unspooled.bin');
      expect(back.headers.get('content-type')).toBe('application/x-test');
      expect(sha(Buffer.from(await back.arrayBuffer()))).toBe(sha(large));
    } finally {
      await relay.close();
    }
  }, 60_000);

  // moto dates every upload's Initiated in 2010, so the age cut-off itself cannot be shown here;
  // the prefix decides which of these "stale" uploads go.
  it('aborts the stale multipart uploads under a prefix, and only those', async () => {
    for (const k of ['stale/a.bin', 'stale/b.bin', 'keep/c.bin']) expect((await h.proxy('raw', { method: 'POST', path: `/files/${k}`, query: { uploads: '' } })).body.status).toBe(200);
    const r = (await call('files', 'uploads.abort_stale', { older_than_h: 1, prefix: 'stale/' })).body.result;
    expect(r.aborted.map((a: { key: string }) => a.key).sort()).toEqual(['stale/a.bin', 'stale/b.bin']);
    const left = await uploads('files');
    expect(left).toContain('<Key>keep/c.bin</Key>');
    expect(left).not.toContain('stale/');
    expect((await call('files', 'uploads.abort_stale', { older_than_h: 1 })).body.result.aborted).toHaveLength(1);
  });

  it('an upload whose part the peer drops half-way fails, and the multipart upload is aborted: nothing is left', async () => {
    const fault = await startFaultProxy(moto.url, (method, url) => method === 'PUT' && url.includes('partNumber=2'));
    try {
      await h.put('faults', s3(`${fault.url}/faults`));
      const res = await uploadChunked('faults', 'half/way.bin', randomBytes(PART_SIZE * 3));
      const failure = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(failure)).toBe(502);
      expect(failure).toMatchObject({ error: { code: 'upstream_error' } });
      // Part 2 was tried as often as the policy allows, then the upload was aborted.
      expect(fault.seen.filter((s) => s.includes('partNumber=2'))).toHaveLength(2);
      expect(fault.seen.some((s) => s.startsWith('DELETE /faults/half/way.bin?uploadId='))).toBe(true);
      expect(await uploads('faults')).not.toContain('<Upload>');
      expect((await h.proxy('raw', { method: 'HEAD', path: '/faults/half/way.bin' })).body.status).toBe(404);
    } finally {
      await fault.close();
    }
  }, 60_000);

  it('a large PUT the peer drops half-way is sent again from the spool, signed whole, and stored whole; the spool is emptied', async () => {
    let drops = 0;
    const fault = await startFaultProxy(moto.url, (method, url) => method === 'PUT' && url.endsWith('/once/go.bin') && drops++ === 0);
    try {
      await h.put('faults-once', s3(`${fault.url}/faults`));
      const body = randomBytes(PART_SIZE * 2);
      const res = await upload('faults-once', 'once/go.bin', body);
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await res.json()).toMatchObject({ size: body.length, parts: 1 });
      const puts = fault.seen.map((s, i) => [s, fault.headers[i]] as const).filter(([s]) => s === 'PUT /faults/once/go.bin');
      expect(puts).toHaveLength(2);
      for (const [, headers] of puts) expect(headers?.['x-amz-content-sha256']).toBe(sha(body));
      const back = await h.api('/v1/connections/faults-once/objects/once/go.bin');
      expect(sha(Buffer.from(await back.arrayBuffer()))).toBe(sha(body));
      expect(spooled()).toEqual([]);
    } finally {
      await fault.close();
    }
  }, 60_000);

  it('a large PUT the peer drops every time fails after the policy\'s attempts, stores nothing and leaves no spooled file', async () => {
    const fault = await startFaultProxy(moto.url, (method, url) => method === 'PUT' && url.endsWith('/one/go.bin'));
    try {
      await h.put('faults-put', s3(`${fault.url}/faults`));
      const res = await upload('faults-put', 'one/go.bin', randomBytes(PART_SIZE * 2));
      const failure = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(failure)).toBe(502);
      expect(failure).toMatchObject({ error: { code: 'upstream_error' } });
      expect(fault.seen.filter((s) => s.includes('/one/go.bin'))).toHaveLength(2);
      expect((await h.proxy('raw', { method: 'HEAD', path: '/faults/one/go.bin' })).body.status).toBe(404);
      expect(spooled()).toEqual([]);
    } finally {
      await fault.close();
    }
  }, 60_000);

  it('without a spool, a PUT the peer drops half-way fails at once (its body cannot be sent again) and stores nothing', async () => {
    const fault = await startFaultProxy(moto.url, (method, url) => method === 'PUT' && url.endsWith('/stream/go.bin'));
    try {
      await unspooled.put('faults-stream', s3(`${fault.url}/faults`));
      const res = await upload('faults-stream', 'stream/go.bin', randomBytes(PART_SIZE * 2), 'application/octet-stream', unspooled);
      const failure = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(failure)).toBe(502);
      expect(failure).toMatchObject({ error: { code: 'upstream_error' } });
      expect(fault.seen.filter((s) => s.includes('/stream/go.bin'))).toHaveLength(1);
      expect((await h.proxy('raw', { method: 'HEAD', path: '/faults/stream/go.bin' })).body.status).toBe(404);
    } finally {
      await fault.close();
    }
  }, 60_000);

  for (const declared of [true, false]) {
    it(`a sender that drops mid-upload (${declared ? 'declared size: kept on disk' : 'chunked: a multipart upload'}) leaves nothing behind`, async () => {
      const u = new URL(h.url);
      const key = declared ? 'dropped.bin' : 'dropped-chunked.bin';
      const sizing = declared ? { 'content-length': String(PART_SIZE * 3) } : { 'transfer-encoding': 'chunked' };
      await new Promise<void>((done) => {
        const req = request({ host: u.hostname, port: u.port, method: 'PUT', path: `/v1/connections/files/objects/${key}`, headers: { authorization: 'Bearer test-token-0123456789abcdef', ...sizing } });
        req.on('error', () => done());
        req.write(randomBytes(PART_SIZE + 1024 * 1024), () => setTimeout(() => req.destroy(), 500));
      });
      // Declared: nothing went upstream and the file is gone. Chunked: the first part reached moto before the sender left, and the abort removed it.
      for (let i = 0; i < 50 && (spooled().length > 0 || (await uploads('files')).includes('<Upload>')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(spooled()).toEqual([]);
      expect(await uploads('files')).not.toContain('<Upload>');
      expect((await h.proxy('raw', { method: 'HEAD', path: `/files/${key}` })).body.status).toBe(404);
    }, 30_000);
  }
});
