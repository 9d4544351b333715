import { operation } from '../types';
import { AbortStaleParams } from '../storage/params';
import { storageProvider } from '../storage/operations';
import { abortStale, deleteObject, getObject, headObject, listObjects, presign, putObject, S3, uploadStream } from './client';

/** Amazon S3 (and S3-compatible stores) through an `aws_sigv4` connection whose base URL names the bucket. */
export const amazonS3 = storageProvider({
  name: S3,
  title: 'Amazon S3',
  noun: 'object',
  client: { put: putObject, get: getObject, head: headObject, delete: deleteObject, list: listObjects, signedUrl: presign, upload: uploadStream },
  summaries: {
    'objects.list': 'Objects under a prefix, a page at a time (ListObjectsV2)',
    'objects.signed_url': 'A presigned GET or PUT URL for one object (SigV4 query string)',
  },
  more: {
    'uploads.abort_stale': operation({
      summary: 'Abort multipart uploads begun more than older_than_h hours ago, deleting their parts',
      params: AbortStaleParams,
      run: (ctx, p) => abortStale(ctx, p.older_than_h * 3_600_000, p.prefix),
    }),
  },
});
