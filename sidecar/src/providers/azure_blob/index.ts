import { storageProvider } from '../storage/operations';
import { AZURE, AZURE_VERSION, deleteBlob, getBlob, headBlob, listBlobs, putBlob, sasUrl, uploadStream } from './client';

/** Azure Blob Storage through an `azure_shared_key` connection whose base URL names the container. */
export const azureBlob = storageProvider({
  name: AZURE,
  title: 'Azure Blob Storage',
  noun: 'blob',
  client: { put: putBlob, get: getBlob, head: headBlob, delete: deleteBlob, list: listBlobs, signedUrl: sasUrl, upload: uploadStream, readHeaders: { 'x-ms-version': AZURE_VERSION } },
  summaries: {
    'objects.put': 'Store a small blob (text or base64) under a key (Put Blob)',
    'objects.list': 'Blobs under a prefix, a page at a time (List Blobs)',
    'objects.signed_url': 'A service SAS URL to GET or PUT one blob',
  },
});
