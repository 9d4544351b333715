import { operation, type Provider } from '../types';
import { KeyParams, ListParams, PutParams, SignedUrlParams, keyPath } from '../storage/params';
import { AZURE, AZURE_VERSION, deleteBlob, getBlob, headBlob, listBlobs, putBlob, sasUrl, uploadStream } from './client';

/** Azure Blob Storage through an `azure_shared_key` connection whose base URL names the container. */
export const azureBlob: Provider = {
  name: AZURE,
  area: 'storage',
  title: 'Azure Blob Storage',
  operations: {
    'objects.put': operation({
      summary: 'Store a small blob (text or base64) under a name (Put Blob)',
      params: PutParams,
      run: (ctx, p) => putBlob(ctx, p.key, Buffer.from(p.content, p.encoding), p.content_type),
    }),
    'objects.get': operation({
      summary: "A blob's bytes (base64) and type; large blobs: GET …/objects/{key}",
      params: KeyParams,
      async run(ctx, p) {
        const res = await getBlob(ctx, p.key);
        return { key: p.key, size: res.body.length, content_type: res.headers['content-type'] ?? null, etag: res.headers.etag ?? null, content: res.body.toString('base64') };
      },
    }),
    'objects.head': operation({
      summary: "A blob's size, type and ETag; exists false when there is none",
      params: KeyParams,
      async run(ctx, p) {
        const info = await headBlob(ctx, p.key);
        return info ? { exists: true, ...info } : { exists: false, key: p.key };
      },
    }),
    'objects.delete': operation({
      summary: 'Delete a blob (no error when it does not exist)',
      params: KeyParams,
      async run(ctx, p) {
        await deleteBlob(ctx, p.key);
        return { key: p.key, deleted: true };
      },
    }),
    'objects.list': operation({ summary: 'Blobs under a prefix, a page at a time (List Blobs)', params: ListParams, run: listBlobs }),
    'objects.signed_url': operation({ summary: 'A service SAS URL to GET or PUT one blob', params: SignedUrlParams, run: sasUrl }),
  },
  objects: {
    upload: uploadStream,
    download: (ctx, key, o) => ctx.stream({ method: 'GET', path: keyPath(key), headers: { 'x-ms-version': AZURE_VERSION, ...(o.range ? { range: o.range } : {}) } }),
  },
};
