import { storageProvider } from '../storage/operations';
import { deleteObject, GCS, getObject, headObject, listObjects, putObject, signedUrl, uploadStream } from './client';

/** Google Cloud Storage through a `google_service_account` connection whose base URL names the bucket. */
export const gcs = storageProvider({
  name: GCS,
  title: 'Google Cloud Storage',
  noun: 'object',
  client: { put: putObject, get: getObject, head: headObject, delete: deleteObject, list: listObjects, signedUrl, upload: uploadStream },
  summaries: { 'objects.signed_url': 'A V4 signed GET or PUT URL for one object, signed with the service account key' },
});
