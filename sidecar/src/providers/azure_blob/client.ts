import { createHash, createHmac } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RawResult } from '../../connections/proxy';
import { AppError } from '../../errors';
import { expectStatus } from '../storage/answer';
import { PartReader } from '../storage/parts';
import { attachment, keyPath, type ObjectInfo, type SignedUrl } from '../storage/params';
import { blocks, text } from '../storage/xml';
import type { CallContext, Uploaded, UploadPlan } from '../types';

/**
 * Azure Blob Storage's REST API (block blobs) through an `azure_shared_key` connection whose
 * base URL names the container (`https://account.blob.core.windows.net/container`, or
 * `http://127.0.0.1:10000/devstoreaccount1/container` on azurite). A small typed client rather
 * than `@azure/storage-blob`, for the same reason as S3's: the SDK's pipeline has its own retries
 * and HTTP stack, and the sidecar's call policy must stay in charge.
 */

export const AZURE = 'azure_blob';
/** The REST version every request names (and SAS URLs are signed for). */
export const AZURE_VERSION = '2021-08-06';

const v = { 'x-ms-version': AZURE_VERSION };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const etagOf = (h: Record<string, string | string[]>) => (typeof h.etag === 'string' ? h.etag : null);

function check(res: RawResult, what: string, also: number[] = []): RawResult {
  expectStatus(AZURE, res, what, also);
  return res;
}

export async function putBlob(ctx: CallContext, key: string, body: Buffer, contentType: string): Promise<Uploaded> {
  const res = check(await ctx.raw({
    method: 'PUT', path: keyPath(key), body,
    headers: { ...v, 'x-ms-blob-type': 'BlockBlob', 'content-type': contentType, 'content-md5': md5(body) },
  }), `put ${key}`);
  return { key, size: body.length, etag: etagOf(res.headers), parts: 1 };
}

export async function getBlob(ctx: CallContext, key: string): Promise<RawResult> {
  return check(await ctx.raw({ method: 'GET', path: keyPath(key), headers: v }), `get ${key}`);
}

export async function headBlob(ctx: CallContext, key: string): Promise<(ObjectInfo & { content_type: string | null }) | null> {
  const res = check(await ctx.raw({ method: 'HEAD', path: keyPath(key), headers: v }), `head ${key}`, [404]);
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

/** Deleting a blob that is not there is not an error (as on S3). */
export async function deleteBlob(ctx: CallContext, key: string): Promise<void> {
  check(await ctx.raw({ method: 'DELETE', path: keyPath(key), headers: v }), `delete ${key}`, [404]);
}

export async function listBlobs(ctx: CallContext, p: { prefix: string; continuation_token?: string | undefined; max_keys: number }) {
  const query: Array<[string, string]> = [['restype', 'container'], ['comp', 'list'], ['maxresults', String(p.max_keys)]];
  if (p.prefix) query.push(['prefix', p.prefix]);
  if (p.continuation_token) query.push(['marker', p.continuation_token]);
  const xml = check(await ctx.raw({ method: 'GET', path: '', query, headers: v }), 'list').body.toString('utf8');
  const objects: ObjectInfo[] = blocks(xml, 'Blob').map((b) => ({
    key: text(b, 'Name') ?? '',
    size: Number(text(b, 'Content-Length') ?? 0),
    etag: text(b, 'Etag'),
    last_modified: text(b, 'Last-Modified') ? new Date(text(b, 'Last-Modified')!).toISOString() : null,
  }));
  const next = text(xml, 'NextMarker');
  return { objects, truncated: !!next, next_token: next || null };
}

/**
 * Streams `body` into a block blob: one Put Blob up to a part, else Put Block per part and one
 * Put Block List. Azure has no abort for uncommitted blocks: a failed upload's blocks are never
 * committed (so nothing becomes visible) and Azure discards them after a week.
 */
export async function uploadStream(ctx: CallContext, key: string, body: Readable, o: UploadPlan): Promise<Uploaded> {
  const reader = new PartReader(body, o);
  const parts = reader.parts();
  const first = await parts.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  if (head.length < o.partSize) return putBlob(ctx, key, head, o.contentType);
  const second = await parts.next();
  if (second.done) return putBlob(ctx, key, head, o.contentType);
  const ids: string[] = [];
  let size = 0;
  const send = async (part: Buffer) => {
    // Every id of a blob must have the same length: a fixed-width counter.
    const id = Buffer.from(`part-${String(ids.length + 1).padStart(6, '0')}`).toString('base64');
    check(await ctx.raw({ method: 'PUT', path: keyPath(key), query: [['comp', 'block'], ['blockid', id]], headers: { ...v, 'content-md5': md5(part) }, body: part }), `put block ${ids.length + 1} of ${key}`);
    ids.push(id);
    size += part.length;
    reader.recycle(part);
  };
  await send(head);
  await send(second.value);
  for await (const part of parts) await send(part);
  const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
  const done = check(await ctx.raw({
    method: 'PUT', path: keyPath(key), query: [['comp', 'blocklist']], body: Buffer.from(xml),
    headers: { ...v, 'content-type': 'application/xml', 'x-ms-blob-content-type': o.contentType },
  }), `commit blocks of ${key}`);
  return { key, size, etag: etagOf(done.headers), parts: ids.length };
}

/** ISO 8601 to the second, as SAS fields take it. */
const sasTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A service SAS URL for one blob (`sr=b`): read (`r`) for GET, create+write (`cw`) for PUT,
 * HTTPS-or-HTTP as the base URL is, signed with the account key over the fields of the
 * "Create a service SAS" string-to-sign for versions from 2020-12-06.
 */
export async function sasUrl(ctx: CallContext, p: { key: string; method: 'GET' | 'PUT'; expires_s: number; content_type?: string | undefined; download_name?: string | undefined }): Promise<SignedUrl> {
  const t = await ctx.target();
  if (t.auth.type !== 'azure_shared_key') throw new AppError('invalid_request', 'Signed URLs need the connection\'s auth to be azure_shared_key.');
  const { account, key } = t.auth;
  // On an emulator the path starts with the account; the signed resource never names it twice.
  const segments = t.basePath.split('/').filter(Boolean);
  const container = segments[0] === account && segments.length > 1 ? segments.slice(1).join('/') : segments.join('/');
  const now = new Date();
  const start = new Date(now.getTime() - 5 * 60_000);
  const expiry = new Date(now.getTime() + p.expires_s * 1000);
  const f = {
    sp: p.method === 'GET' ? 'r' : 'cw', st: sasTime(start), se: sasTime(expiry), spr: t.origin.startsWith('https:') ? 'https' : 'https,http',
    sv: AZURE_VERSION, sr: 'b', rscd: p.method === 'GET' && p.download_name ? attachment(p.download_name) : '',
  };
  const resource = `/blob/${account}/${container}/${p.key}`;
  const toSign = [f.sp, f.st, f.se, resource, '', '', f.spr, f.sv, f.sr, '', '', '', f.rscd, '', '', ''].join('\n');
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  const q = new URLSearchParams({ sv: f.sv, spr: f.spr, st: f.st, se: f.se, sr: f.sr, sp: f.sp });
  if (f.rscd) q.set('rscd', f.rscd);
  q.set('sig', sig);
  const headers: Record<string, string> = p.method === 'PUT' ? { 'x-ms-blob-type': 'BlockBlob', ...(p.content_type ? { 'content-type': p.content_type } : {}) } : {};
  return { url: `${t.origin}${t.basePath}${keyPath(p.key)}?${q.toString()}`, method: p.method, expires_at: expiry.toISOString(), headers };
}
