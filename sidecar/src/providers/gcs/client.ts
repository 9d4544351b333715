import type { Readable } from 'node:stream';
import type { RawResult } from '../../connections/proxy';
import { AppError } from '../../errors';
import { expectStatus, storageError } from '../storage/answer';
import { PartReader } from '../storage/parts';
import { attachment, keyPath, type ObjectInfo, type SignedUrl } from '../storage/params';
import type { CallContext, Uploaded, UploadPlan } from '../types';
import { signV4Url } from './signing';

/**
 * Google Cloud Storage through a `google_service_account` connection (its access token on every
 * request) whose base URL names the bucket: `https://storage.googleapis.com/my-bucket`. Bytes go
 * through the XML API (`/bucket/object`, as signed URLs do), metadata and listings through the
 * JSON API (`/storage/v1/b/…`) on the same origin, large uploads through a resumable session.
 * A small typed client rather than `@google-cloud/storage`, whose own HTTP stack and retries
 * would bypass the sidecar's call policy.
 */

export const GCS = 'gcs';

function check(res: RawResult, what: string, also: number[] = []): RawResult {
  expectStatus(GCS, res, what, also);
  return res;
}

/** The bucket: the base URL's first path segment. */
async function bucketOf(ctx: CallContext): Promise<string> {
  const b = (await ctx.target()).basePath.split('/').filter(Boolean)[0];
  if (!b) throw storageError(GCS, 400, '', 'the connection\'s base URL names no bucket (https://storage.googleapis.com/<bucket>)');
  return b;
}

const objectJsonPath = (bucket: string, key: string) => `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}`;

export async function putObject(ctx: CallContext, key: string, body: Buffer, contentType: string): Promise<Uploaded> {
  const res = check(await ctx.raw({ method: 'PUT', path: keyPath(key), headers: { 'content-type': contentType }, body }), `put ${key}`);
  return { key, size: body.length, etag: typeof res.headers.etag === 'string' ? res.headers.etag : null, parts: 1 };
}

export async function getObject(ctx: CallContext, key: string): Promise<RawResult> {
  return check(await ctx.raw({ method: 'GET', path: keyPath(key) }), `get ${key}`);
}

interface GcsObject { name: string; size: string; etag?: string; updated?: string; contentType?: string }
const info = (o: GcsObject): ObjectInfo => ({ key: o.name, size: Number(o.size), etag: o.etag ?? null, last_modified: o.updated ?? null });

export async function headObject(ctx: CallContext, key: string) {
  const res = check(await ctx.raw({ method: 'GET', path: objectJsonPath(await bucketOf(ctx), key), fromOrigin: true }), `head ${key}`, [404]);
  if (res.status === 404) return null;
  const o = JSON.parse(res.body.toString('utf8')) as GcsObject;
  return { ...info(o), content_type: o.contentType ?? null };
}

export async function deleteObject(ctx: CallContext, key: string): Promise<void> {
  check(await ctx.raw({ method: 'DELETE', path: objectJsonPath(await bucketOf(ctx), key), fromOrigin: true }), `delete ${key}`, [404]);
}

export async function listObjects(ctx: CallContext, p: { prefix: string; continuation_token?: string | undefined; max_keys: number }) {
  const query: Array<[string, string]> = [['maxResults', String(p.max_keys)]];
  if (p.prefix) query.push(['prefix', p.prefix]);
  if (p.continuation_token) query.push(['pageToken', p.continuation_token]);
  const res = check(await ctx.raw({ method: 'GET', path: `/storage/v1/b/${encodeURIComponent(await bucketOf(ctx))}/o`, query, fromOrigin: true }), 'list');
  const page = JSON.parse(res.body.toString('utf8')) as { items?: GcsObject[]; nextPageToken?: string };
  return { objects: (page.items ?? []).map(info), truncated: !!page.nextPageToken, next_token: page.nextPageToken ?? null };
}

/**
 * Streams `body` to `key`: one PUT up to a part, else a resumable upload session whose chunks
 * (whole multiples of 256 KiB) are PUT in order with their Content-Range; a failure cancels the
 * session (DELETE), so nothing half-written stays.
 */
export async function uploadStream(ctx: CallContext, key: string, body: Readable, o: UploadPlan): Promise<Uploaded> {
  const reader = new PartReader(body, o);
  const parts = reader.parts();
  const first = await parts.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  if (head.length < o.partSize) return putObject(ctx, key, head, o.contentType);
  const bucket = await bucketOf(ctx);
  const start = check(await ctx.raw({
    method: 'POST', path: `/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`, fromOrigin: true,
    query: [['uploadType', 'resumable'], ['name', key]], headers: { 'content-type': 'application/json', 'x-upload-content-type': o.contentType }, body: Buffer.from('{}'),
  }), `start upload of ${key}`);
  const location = typeof start.headers.location === 'string' ? new URL(start.headers.location) : null;
  if (!location) throw storageError(GCS, 502, start.body, `start upload of ${key}: no session URL`);
  const session = { path: location.pathname, query: [...location.searchParams] as Array<[string, string]> };
  let offset = 0;
  let n = 0;
  try {
    let part: Buffer = head;
    for (;;) {
      const next = await parts.next();
      const last = next.done === true;
      const range = `bytes ${offset}-${offset + part.length - 1}/${last ? offset + part.length : '*'}`;
      // A chunk PUT to a session is safe to repeat: the session keeps what it already has.
      const res = check(await ctx.raw({ method: 'PUT', path: session.path, query: session.query, fromOrigin: true, headers: { 'content-range': range }, body: part }), `upload chunk ${n + 1} of ${key}`, [308]);
      offset += part.length;
      n++;
      if (last) return { key, size: offset, etag: typeof res.headers.etag === 'string' ? res.headers.etag : null, parts: n };
      reader.recycle(part);
      part = next.value;
    }
  } catch (err) {
    await ctx.raw({ method: 'DELETE', path: session.path, query: session.query, fromOrigin: true }).catch(() => undefined);
    throw err;
  }
}

export async function signedUrl(ctx: CallContext, p: { key: string; method: 'GET' | 'PUT'; expires_s: number; content_type?: string | undefined; download_name?: string | undefined }): Promise<SignedUrl> {
  const t = await ctx.target();
  if (t.auth.type !== 'google_service_account') throw new AppError('invalid_request', 'Signed URLs need the connection\'s auth to be google_service_account.');
  const bucket = await bucketOf(ctx);
  const headers: Record<string, string> = p.method === 'PUT' && p.content_type ? { 'content-type': p.content_type } : {};
  const query: Record<string, string> = p.method === 'GET' && p.download_name ? { 'response-content-disposition': attachment(p.download_name) } : {};
  const date = new Date();
  const url = signV4Url({
    method: p.method, origin: t.origin, path: `/${bucket}/${p.key}`, query, headers, expiresS: Math.min(p.expires_s, 604_800),
    clientEmail: t.auth.client_email, privateKeyPem: t.auth.private_key, date,
  });
  return { url, method: p.method, expires_at: new Date(date.getTime() + p.expires_s * 1000).toISOString(), headers };
}
