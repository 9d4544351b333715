import { operation, type Provider } from '../types';
import { AbortStaleParams, KeyParams, ListParams, PutParams, SignedUrlParams, keyPath } from '../storage/params';
import { abortStale, deleteObject, getObject, headObject, listObjects, presign, putObject, S3, uploadStream } from './client';

/** Amazon S3 (and S3-compatible stores) through an `aws_sigv4` connection whose base URL names the bucket. */
export const amazonS3: Provider = {
  name: S3,
  area: 'storage',
  title: 'Amazon S3',
  operations: {
    'objects.put': operation({
      summary: 'Store a small object (text or base64) under a key',
      params: PutParams,
      run: (ctx, p) => putObject(ctx, p.key, Buffer.from(p.content, p.encoding), p.content_type),
    }),
    'objects.get': operation({
      summary: "An object's bytes (base64) and type; large objects: GET …/objects/{key}",
      params: KeyParams,
      async run(ctx, p) {
        const res = await getObject(ctx, p.key);
        return { key: p.key, size: res.body.length, content_type: res.headers['content-type'] ?? null, etag: res.headers.etag ?? null, content: res.body.toString('base64') };
      },
    }),
    'objects.head': operation({
      summary: "An object's size, type and ETag; exists false when there is none",
      params: KeyParams,
      async run(ctx, p) {
        const info = await headObject(ctx, p.key);
        return info ? { exists: true, ...info } : { exists: false, key: p.key };
      },
    }),
    'objects.delete': operation({
      summary: 'Delete an object (no error when it does not exist)',
      params: KeyParams,
      async run(ctx, p) {
        await deleteObject(ctx, p.key);
        return { key: p.key, deleted: true };
      },
    }),
    'objects.list': operation({ summary: 'Objects under a prefix, a page at a time (ListObjectsV2)', params: ListParams, run: listObjects }),
    'objects.signed_url': operation({ summary: 'A presigned GET or PUT URL for one object (SigV4 query string)', params: SignedUrlParams, run: presign }),
    'uploads.abort_stale': operation({
      summary: 'Abort multipart uploads begun more than older_than_h hours ago, deleting their parts',
      params: AbortStaleParams,
      run: (ctx, p) => abortStale(ctx, p.older_than_h * 3_600_000, p.prefix),
    }),
  },
  objects: {
    upload: uploadStream,
    download: (ctx, key, o) => ctx.stream({ method: 'GET', path: keyPath(key), headers: o.range ? { range: o.range } : {} }),
  },
};
