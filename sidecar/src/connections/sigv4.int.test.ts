import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startMoto, type MotoServer } from '../../test/connections/moto';

/**
 * `aws_sigv4` connections against moto (AWS's APIs emulated, as a child process) in its IAM
 * auth mode: after the three unauthenticated setup calls, moto checks the access key and
 * recomputes every request's signature, so a 200 means the proxy's signature was right and a
 * wrong secret is a 403 SignatureDoesNotMatch.
 * A moto quirk: for query-protocol services (IAM, STS) it hashes the form body it re-encoded
 * itself (Python's urlencode: `*` → `%2A`), not the bytes received as AWS does; so the
 * authenticated form bodies here hold no character the two encoders write differently.
 */
describe('AWS SigV4 connections against moto with signature checks on', () => {
  let moto: MotoServer;
  let h: ConnectionsHarness;
  let key: { id: string; secret: string };
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const iamCall = (id: string, params: Record<string, string>) => h.proxy(id, { method: 'POST', path: '/', headers: form, body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString() });
  const aws = (service: string, accessKeyId: string, secret: string) => ({
    base_url: moto.url,
    auth: { type: 'aws_sigv4', access_key_id: accessKeyId, secret_access_key: secret, region: 'us-east-1', service },
  });

  beforeAll(async () => {
    moto = await startMoto({ noAuthActions: 3 });
    h = await startConnectionsHarness();
    // The three unauthenticated actions: a user, its access key, a policy letting it do anything.
    await h.put('iam-setup', aws('iam', 'AKIAIOSFODNN7EXAMPLE', 'setup-secret'));
    const steps = [
      await iamCall('iam-setup', { Action: 'CreateUser', UserName: 'sidecar' }),
      await iamCall('iam-setup', { Action: 'CreateAccessKey', UserName: 'sidecar' }),
      await iamCall('iam-setup', {
        Action: 'PutUserPolicy', UserName: 'sidecar', PolicyName: 'all',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
    ];
    expect(steps.map((s) => s.body.status)).toEqual([200, 200, 200]);
    const xml = steps[1]!.body.body as string;
    key = { id: /<AccessKeyId>(\w+)<\/AccessKeyId>/.exec(xml)![1]!, secret: /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)![1]! };
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await moto?.stop();
  });

  it('S3: creates a bucket, puts, gets and lists an object whose key needs encoding', async () => {
    const view = await h.put('s3', aws('s3', key.id, key.secret));
    expect(view.auth).toMatchObject({ type: 'aws_sigv4', access_key_id: key.id, secret_access_key: '[redacted]', region: 'us-east-1', service: 's3' });
    expect(JSON.stringify(await (await h.api('/v1/connections/s3')).json())).not.toContain(key.secret);
    expect(JSON.stringify(await h.ctx.redis.hgetall(`${h.prefix}:cn:conn:s3`))).not.toContain(key.secret);

    expect((await h.proxy('s3', { method: 'PUT', path: '/reports' })).body.status).toBe(200);
    const objectPath = '/reports/2026%20Q4/f%C3%BCr+%E6%97%A5%E6%9C%AC(1).txt';
    const put = await h.proxy('s3', { method: 'PUT', path: objectPath, headers: { 'content-type': 'text/plain', 'x-amz-meta-owner': 'sync job' }, body: 'hello from the sidecar' });
    expect(put.body).toMatchObject({ status: 200 });
    const got = await h.proxy('s3', { method: 'GET', path: objectPath });
    expect(got.body).toMatchObject({ status: 200, body: 'hello from the sidecar', headers: { 'x-amz-meta-owner': 'sync job' } });
    const list = await h.proxy('s3', { method: 'GET', path: '/reports', query: { 'list-type': '2', prefix: '2026 Q4/' } });
    expect(list.body.status).toBe(200);
    expect(list.body.body).toContain('<Key>2026 Q4/für+日本(1).txt</Key>');
    expect(list.body.body).toContain('<KeyCount>1</KeyCount>');
    const none = await h.proxy('s3', { method: 'GET', path: '/reports', query: { 'list-type': '2', prefix: 'other/' } });
    expect(none.body.body).toContain('<KeyCount>0</KeyCount>');
  });

  it('a wrong secret is refused by moto with 403 SignatureDoesNotMatch (and the secret appears nowhere)', async () => {
    await h.put('s3-wrong', aws('s3', key.id, `${key.secret.slice(0, -1)}X`));
    const r = await h.proxy('s3-wrong', { method: 'GET', path: '/reports' });
    expect(r.body.status).toBe(403);
    expect(r.body.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(JSON.stringify(r.body)).not.toContain(key.secret.slice(0, -1));
    await h.put('s3-unknown', aws('s3', 'AKIAUNKNOWN000000000', key.secret));
    expect((await h.proxy('s3-unknown', { method: 'GET', path: '/reports' })).body.body).toContain('<Code>InvalidAccessKeyId</Code>');
  });

  it('a non-S3 service (IAM, form POST, path encoded twice in the signature) is accepted with the right key only', async () => {
    await h.put('iam', aws('iam', key.id, key.secret));
    const me = await iamCall('iam', { Action: 'ListAccessKeys', UserName: 'sidecar' });
    expect(me.body.status).toBe(200);
    expect(me.body.body).toContain(`<AccessKeyId>${key.id}</AccessKeyId>`);
    await h.put('iam-wrong', aws('iam', key.id, 'not-the-secret'));
    const refused = await iamCall('iam-wrong', { Action: 'ListAccessKeys', UserName: 'sidecar' });
    expect(refused.body.status).toBe(403);
    expect(refused.body.body).toContain('SignatureDoesNotMatch');
  });
});
