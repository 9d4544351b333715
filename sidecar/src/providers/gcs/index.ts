import { operation, type Provider } from '../types';
import { KeyParams, ListParams, PutParams, SignedUrlParams, keyPath } from '../storage/params';
import { deleteObject, GCS, getObject, headObject, listObjects, putObject, signedUrl, uploadStream } from './client';

/** Google Cloud Storage through a `google_service_account` connection whose base URL names the bucket. */
export const gcs: Provider = {
  name: GCS,
  area: 'storage',
  title: 'Google Cloud Storage',
  operations: {
    'objects.put': operation({
      summary: 'Store a small object (text or base64) under a name',
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
        const o = await headObject(ctx, p.key);
        return o ? { exists: true, ...o } : { exists: false, key: p.key };
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
    'objects.list': operation({ summary: 'Objects under a prefix, a page at a time', params: ListParams, run: listObjects }),
    'objects.signed_url': operation({ summary: 'A V4 signed GET or PUT URL for one object, signed with the service account key', params: SignedUrlParams, run: signedUrl }),
  },
  objects: {
    upload: uploadStream,
    download: (ctx, key, o) => ctx.stream({ method: 'GET', path: keyPath(key), headers: o.range ? { range: o.range } : {} }),
  },
};
