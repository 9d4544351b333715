import type { Readable } from 'node:stream';
import { presignSigV4 } from '../../connections/auth/sigv4';
import type { RawRequest, RawResult } from '../../connections/proxy';
import { AppError } from '../../errors';
import { storageError, expectStatus } from '../storage/answer';
import { PartReader } from '../storage/parts';
import { spool } from '../storage/spool';
import { keyPath, attachment, type ObjectInfo, type SignedUrl } from '../storage/params';
import { blocks, escapeXml, text } from '../storage/xml';
import type { CallContext, UploadPlan, Uploaded } from '../types';

/**
 * Amazon S3's REST API (path-style or virtual-hosted: the bucket is in the connection's base
 * URL), signed by the connection's `aws_sigv4` auth on every attempt. A small typed client
 * rather than `@aws-sdk/client-s3`: the SDK owns its own HTTP stack, retries and signing, and
 * the sidecar's call policy (rate limit, breaker, SSRF guard, call log) must stay in charge.
 */

export const S3 = 'amazon_s3';

const etagOf = (h: Record<string, string | string[]>) => (typeof h.etag === 'string' ? h.etag : null);

function check(res: RawResult, what: string, also: number[] = []): RawResult {
  expectStatus(S3, res, what, also);
  return res;
}

export async function putObject(ctx: CallContext, key: string, body: Buffer, contentType: string): Promise<Uploaded> {
  const res = check(await ctx.raw({ method: 'PUT', path: keyPath(key), headers: { 'content-type': contentType }, body }), `put ${key}`);
  return { key, size: body.length, etag: etagOf(res.headers), parts: 1 };
}

export async function getObject(ctx: CallContext, key: string): Promise<RawResult> {
  return check(await ctx.raw({ method: 'GET', path: keyPath(key) }), `get ${key}`);
}

export async function headObject(ctx: CallContext, key: string): Promise<(ObjectInfo & { content_type: string | null }) | null> {
  const res = check(await ctx.raw({ method: 'HEAD', path: keyPath(key) }), `head ${key}`, [404]);
  if (res.status === 404) return null;
  const h = res.headers;
  return {
    key,
    size: Number(h['content-length'] ?? 0),
    etag: etagOf(h),
    last_modified: typeof h['last-modified'] === 'string' ? new Date(h['last-modified']).toISOString() : null,
    content_type: typeof h['content-type'] === 'string' ? h['content-type'] : null,
  };
}

/** S3 answers 204 whether or not the key existed. */
export async function deleteObject(ctx: CallContext, key: string): Promise<void> {
  check(await ctx.raw({ method: 'DELETE', path: keyPath(key) }), `delete ${key}`);
}

export async function listObjects(ctx: CallContext, p: { prefix: string; continuation_token?: string | undefined; max_keys: number }) {
  const query: Array<[string, string]> = [['list-type', '2'], ['max-keys', String(p.max_keys)]];
  if (p.prefix) query.push(['prefix', p.prefix]);
  if (p.continuation_token) query.push(['continuation-token', p.continuation_token]);
  const xml = check(await ctx.raw({ method: 'GET', path: '/', query }), 'list').body.toString('utf8');
  const objects: ObjectInfo[] = blocks(xml, 'Contents').map((b) => ({
    key: text(b, 'Key') ?? '',
    size: Number(text(b, 'Size') ?? 0),
    etag: text(b, 'ETag'),
    last_modified: text(b, 'LastModified'),
  }));
  return { objects, truncated: text(xml, 'IsTruncated') === 'true', next_token: text(xml, 'NextContinuationToken') };
}

/** A presigned URL for one GET or PUT of `key` (query-string SigV4, payload unsigned). */
export async function presign(ctx: CallContext, p: { key: string; method: 'GET' | 'PUT'; expires_s: number; content_type?: string | undefined; download_name?: string | undefined }): Promise<SignedUrl> {
  const t = await ctx.target();
  if (t.auth.type !== 'aws_sigv4') throw new AppError('invalid_request', 'Signed URLs need the connection\'s auth to be aws_sigv4.');
  const a = t.auth;
  const path = `${t.basePath}${keyPath(p.key)}`;
  const query: Array<[string, string]> = [];
  if (p.method === 'GET' && p.download_name) query.push(['response-content-disposition', attachment(p.download_name)]);
  const headers: Record<string, string> = p.method === 'PUT' && p.content_type ? { 'content-type': p.content_type } : {};
  const now = new Date();
  const qs = presignSigV4(
    { method: p.method, host: new URL(t.origin).host, path, query, headers, expiresS: p.expires_s },
    { credentials: { accessKeyId: a.access_key_id, secretAccessKey: a.secret_access_key, sessionToken: a.session_token }, region: a.region, service: 's3', date: now },
  );
  return { url: `${t.origin}${path}?${qs}`, method: p.method, expires_at: new Date(now.getTime() + p.expires_s * 1000).toISOString(), headers };
}

async function createUpload(ctx: CallContext, key: string, contentType: string): Promise<string> {
  const res = check(await ctx.raw({ method: 'POST', path: keyPath(key), query: [['uploads', '']], headers: { 'content-type': contentType } }), `start multipart upload of ${key}`);
  const id = text(res.body.toString('utf8'), 'UploadId');
  if (!id) throw storageError(S3, 502, res.body, `start multipart upload of ${key}: no UploadId`);
  return id;
}

export async function abortUpload(ctx: CallContext, key: string, uploadId: string): Promise<void> {
  check(await ctx.raw({ method: 'DELETE', path: keyPath(key), query: [['uploadId', uploadId]] }), `abort upload of ${key}`, [404]);
}

/**
 * Largest upload of known size sent as one PUT; above it, and for bodies of unknown length, a
 * multipart upload, whose parts are each held and can be sent again.
 */
export const SINGLE_PUT_MAX = 256 * 1024 * 1024;

/**
 * One PUT of `size` bytes. With a spool directory the body is kept on disk first and signed
 * whole: the PUT is the SDK's own (no aws-chunked framing for the store to decode) and retried
 * as the policy allows. Without, it goes through as it arrives, signed chunk by chunk, once.
 */
async function putLarge(ctx: CallContext, key: string, body: Readable, size: number, contentType: string, spoolDir: string | null): Promise<Uploaded> {
  const put = async (req: Pick<RawRequest, 'stream' | 'file'>) => {
    const res = check(await ctx.raw({ method: 'PUT', path: keyPath(key), headers: { 'content-type': contentType }, ...req }), `put ${key}`);
    return { key, size, etag: etagOf(res.headers), parts: 1 };
  };
  if (spoolDir === null) {
    // The sender's stream stays open on failure: the route answers it.
    return put({ stream: { size, source: body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer> } });
  }
  const file = await spool(body, size, spoolDir);
  try {
    return await put({ file });
  } finally {
    await file.remove();
  }
}

/** Parts of one upload on their way at once: the next part is read while others are sent. */
const PARTS_IN_FLIGHT = 3;

/**
 * Streams `body` to `key`: one PUT when it fits in one part (the body hashed whole and signed,
 * as the AWS SDK's PutObject does), one PUT ({@link putLarge}) when its declared size is at most
 * {@link SINGLE_PUT_MAX}, else a multipart upload whose parts are sent as they fill, up to {@link PARTS_IN_FLIGHT} at a time (each one retryable; S3 checks
 * each body against its signed SHA-256, so no Content-MD5 is needed). Any failure — the
 * upstream's, or the sender dropping mid-stream — aborts the upload, so no parts linger.
 */
export async function uploadStream(ctx: CallContext, key: string, body: Readable, o: UploadPlan): Promise<Uploaded> {
  if (o.size !== undefined && o.size > o.partSize && o.size <= SINGLE_PUT_MAX) return putLarge(ctx, key, body, o.size, o.contentType, o.spoolDir);
  const reader = new PartReader(body, o);
  const parts = reader.parts();
  const first = await parts.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  if (head.length < o.partSize) return putObject(ctx, key, head, o.contentType);
  const second = await parts.next();
  if (second.done) return putObject(ctx, key, head, o.contentType);

  const uploadId = await createUpload(ctx, key, o.contentType);
  const etags: string[] = [];
  let size = 0;
  const inFlight = new Set<Promise<void>>();
  try {
    let failed: unknown = null;
    const send = (part: Buffer) => {
      const n = etags.push('');
      size += part.length;
      const p = ctx.raw({ method: 'PUT', path: keyPath(key), query: [['partNumber', String(n)], ['uploadId', uploadId]], body: part })
        .then((res) => {
          etags[n - 1] = etagOf(check(res, `upload part ${n} of ${key}`).headers) ?? '';
          reader.recycle(part);
        })
        .catch((err: unknown) => void (failed ??= err))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const room = async () => {
      while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
      if (failed) throw failed;
    };
    send(head);
    send(second.value);
    for await (const part of parts) {
      await room();
      send(part);
    }
    await Promise.all(inFlight);
    if (failed) throw failed;
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const done = check(await ctx.raw({ method: 'POST', path: keyPath(key), query: [['uploadId', uploadId]], headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml), idempotent: true }), `complete upload of ${key}`);
    // S3 can answer 200 and put the error in the body (the completion failed after it began).
    const answer = done.body.toString('utf8');
    if (answer.includes('<Error>')) throw storageError(S3, 500, answer, `complete upload of ${key}`);
    return { key, size, etag: text(answer, 'ETag'), parts: etags.length };
  } catch (err) {
    // Parts still on their way would land after the abort and outlive it.
    await Promise.allSettled(inFlight);
    await abortUpload(ctx, key, uploadId).catch(() => undefined);
    throw err;
  }
}

/** Aborts multipart uploads begun before `olderThanMs` ago (ListMultipartUploads, page by page). */
export async function abortStale(ctx: CallContext, olderThanMs: number, prefix: string) {
  const cutoff = Date.now() - olderThanMs;
  const aborted: Array<{ key: string; upload_id: string; initiated: string }> = [];
  let keyMarker = '';
  let idMarker = '';
  for (;;) {
    const query: Array<[string, string]> = [['uploads', '']];
    if (prefix) query.push(['prefix', prefix]);
    if (keyMarker) query.push(['key-marker', keyMarker], ['upload-id-marker', idMarker]);
    const xml = check(await ctx.raw({ method: 'GET', path: '/', query }), 'list multipart uploads').body.toString('utf8');
    for (const u of blocks(xml, 'Upload')) {
      const key = text(u, 'Key')!;
      const id = text(u, 'UploadId')!;
      const initiated = text(u, 'Initiated')!;
      if (Date.parse(initiated) < cutoff) {
        await abortUpload(ctx, key, id);
        aborted.push({ key, upload_id: id, initiated: new Date(initiated).toISOString() });
      }
    }
    if (text(xml, 'IsTruncated') !== 'true') return { aborted };
    keyMarker = text(xml, 'NextKeyMarker') ?? '';
    idMarker = text(xml, 'NextUploadIdMarker') ?? '';
    if (!keyMarker) return { aborted };
  }
}
