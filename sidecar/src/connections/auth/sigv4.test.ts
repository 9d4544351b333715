import { describe, expect, it } from 'vitest';
import { smithySign } from '../../../test/connections/smithy';
import { awsPath, awsQuery, payloadHash, signSigV4, UNSIGNED_PAYLOAD, type AwsCredentials } from './sigv4';

/**
 * The signer against the AWS SDK's own (`@smithy/signature-v4`), request shape by request
 * shape: both sign the same request at the same instant and every header they add must match.
 */

const CREDS: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SESSION: AwsCredentials = { ...CREDS, sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJGMEQCIH+session=' };
const DATE = new Date('2026-11-30T21:04:05.678Z');

interface Shape {
  name: string;
  service: string;
  method: string;
  /** As a caller of the proxy writes it (any valid encoding). */
  path: string;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string;
  creds?: AwsCredentials;
  region?: string;
  unsigned?: boolean;
}

const SHAPES: Shape[] = [
  { name: 'S3 GET of the root', service: 's3', method: 'GET', path: '/' },
  { name: 'S3 PUT with a body and content type', service: 's3', method: 'PUT', path: '/bucket/key.json', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
  { name: 'S3 key with spaces, sent encoded', service: 's3', method: 'GET', path: '/bucket/my%20file%20name.txt' },
  { name: 'S3 key with unicode and reserved characters', service: 's3', method: 'PUT', path: "/bucket/f%C3%BCr/%E6%97%A5%E6%9C%AC/a+b=c&d!'()*.txt", body: 'x' },
  { name: 'S3 key with an encoded slash and a double slash (kept as they are)', service: 's3', method: 'GET', path: '/bucket/a%2Fb//c' },
  { name: 'S3 ListObjectsV2 query (empty value, prefix with a space, sorting)', service: 's3', method: 'GET', path: '/bucket', query: [['list-type', '2'], ['prefix', 'dir one/'], ['delimiter', '/'], ['encoding-type', '']] },
  { name: 'S3 sub-resource query without a value', service: 's3', method: 'GET', path: '/bucket', query: [['versioning', '']] },
  { name: 'S3 with a session token', service: 's3', method: 'DELETE', path: '/bucket/key', creds: SESSION },
  { name: 'S3 with user metadata headers (signed, spaces folded)', service: 's3', method: 'PUT', path: '/bucket/k', body: 'data', headers: { 'x-amz-meta-note': '  two   spaces  ', 'x-amz-meta-other': 'b' } },
  { name: 'S3 UNSIGNED-PAYLOAD', service: 's3', method: 'PUT', path: '/bucket/stream.bin', body: 'streamed', unsigned: true },
  { name: 'non-S3: path encoded twice', service: 'execute-api', method: 'GET', path: '/prod/items/with%20space/%C3%A9t%C3%A9' },
  { name: 'non-S3: path normalised (double slash, trailing slash)', service: 'es', method: 'GET', path: '/index//_doc/' },
  { name: 'non-S3: query with unicode keys and values, repeated names, reserved characters', service: 'execute-api', method: 'GET', path: '/q', query: [['b', '2'], ['ä', 'ö ü'], ['a', 'z'], ['a', 'y'], ['x*', "!'()"], ['tilde~', 'a+b']] },
  { name: 'non-S3: form-encoded POST (IAM query API)', service: 'iam', region: 'us-east-1', method: 'POST', path: '/', body: 'Action=ListUsers&Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } },
  { name: 'non-S3: JSON POST with a target header (DynamoDB) and a session token', service: 'dynamodb', method: 'POST', path: '/', body: '{"TableName":"t"}', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' }, creds: SESSION },
  { name: 'non-S3: empty body DELETE, region with digits', service: 'lambda', region: 'ap-southeast-2', method: 'DELETE', path: '/2015-03-31/functions/my-fn' },
  { name: 'unsignable headers are left out (user-agent, connection)', service: 'sqs', method: 'POST', path: '/', body: 'Action=ListQueues', headers: { 'user-agent': 'x', 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'k1' } },
];

describe('SigV4 signer = @smithy/signature-v4', () => {
  for (const s of SHAPES) {
    it(s.name, async () => {
      const region = s.region ?? 'eu-west-1';
      const creds = s.creds ?? CREDS;
      const host = `${s.service}.${region}.amazonaws.com`;
      const path = awsPath(s.path);
      const headers: Record<string, string> = { ...s.headers };
      const hash = s.unsigned ? UNSIGNED_PAYLOAD : payloadHash(s.body);
      const ours = signSigV4({ method: s.method, host, path, query: s.query ?? [], headers, payloadHash: hash }, { credentials: creds, region, service: s.service, date: DATE });

      const query: Record<string, string | string[]> = {};
      for (const [k, v] of s.query ?? []) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      const theirs = await smithySign(
        { method: s.method, host, path, query, headers: s.unsigned ? { ...headers, 'x-amz-content-sha256': UNSIGNED_PAYLOAD } : headers, body: s.body },
        { credentials: creds, region, service: s.service, date: DATE },
      );
      expect(ours.authorization).toBe(theirs.authorization);
      expect(ours['x-amz-date']).toBe(theirs['x-amz-date']);
      expect(ours['x-amz-security-token']).toBe(theirs['x-amz-security-token']);
      expect(ours['x-amz-content-sha256']).toBe(theirs['x-amz-content-sha256']);
    });
  }

  it('a changed secret, method, path, query, header or body changes the signature', () => {
    const base = { method: 'PUT', host: 's3.eu-west-1.amazonaws.com', path: '/b/k', query: [['a', '1']] as Array<[string, string]>, headers: { 'content-type': 'text/plain' }, payloadHash: payloadHash('x') };
    const scope = { credentials: CREDS, region: 'eu-west-1', service: 's3', date: DATE };
    const sig = (r = base, sc = scope) => signSigV4(r, sc).authorization;
    const variants = [
      sig(base, { ...scope, credentials: { ...CREDS, secretAccessKey: `${CREDS.secretAccessKey}x` } }),
      sig({ ...base, method: 'POST' }),
      sig({ ...base, path: '/b/K' }),
      sig({ ...base, query: [['a', '2']] }),
      sig({ ...base, headers: { 'content-type': 'text/html' } }),
      sig({ ...base, payloadHash: payloadHash('y') }),
      sig(base, { ...scope, region: 'eu-west-2' }),
      sig(base, { ...scope, date: new Date(DATE.getTime() + 1000) }),
    ];
    expect(new Set([sig(), ...variants]).size).toBe(variants.length + 1);
  });

  it('sends what it signs: paths and queries in AWS encoding whatever the caller spelt', () => {
    expect(awsPath('/b/my%20file')).toBe(awsPath('/b/my file'));
    expect(awsPath("/b/a+b!'()*~%7e")).toBe('/b/a%2Bb%21%27%28%29%2A~~');
    expect(awsPath('/b/100%')).toBe('/b/100%25');
    expect(awsQuery([['z', ''], ['a b', 'c+d'], ['a b', 'c d']])).toBe('a%20b=c%20d&a%20b=c%2Bd&z=');
  });
});
