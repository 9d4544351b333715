import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunkedHeaders, chunkedLength, signSigV4Chunked } from './sigv4';

/**
 * The worked example of AWS's "Transferring Payload in Multiple Chunks" (sigv4-streaming):
 * 66 560 bytes of `a` PUT in 64 KiB chunks, with its published seed and chunk signatures.
 */
describe('SigV4 streaming upload (aws-chunked)', () => {
  const scope = { credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, region: 'us-east-1', service: 's3', date: new Date('2013-05-24T00:00:00Z') };
  const size = 66_560;
  const chunk = 64 * 1024;

  it('signs headers and chunks as AWS\'s example does, whatever the source\'s buffers', async () => {
    const headers: Record<string, string> = { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' };
    chunkedHeaders(headers, size, chunk);
    expect(headers).toMatchObject({ 'content-encoding': 'aws-chunked', 'content-length': '66824', 'x-amz-decoded-content-length': '66560' });
    const s = signSigV4Chunked({ method: 'PUT', host: 's3.amazonaws.com', path: '/examplebucket/chunkObject.txt', query: [], headers }, scope, size, chunk);
    expect(s.headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    // Odd-sized source buffers: chunks are cut at 64 KiB whatever arrives.
    const data = Buffer.alloc(size, 'a');
    const pieces = [data.subarray(0, 1000), data.subarray(1000, 65_537), data.subarray(65_537)];
    const out = Buffer.concat(await Readable.from(s.frames(Readable.from(pieces))).toArray());
    expect(out.length).toBe(chunkedLength(size, chunk));
    const text = out.toString('latin1');
    expect(text.startsWith('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n')).toBe(true);
    expect(text).toContain(`\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n${'a'.repeat(1024)}\r\n`);
    expect(text.endsWith('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n')).toBe(true);
  });

  it('fails a body shorter or longer than the length it declared', async () => {
    const s = () => signSigV4Chunked({ method: 'PUT', host: 'h', path: '/b/k', query: [], headers: {} }, scope, 100, chunk);
    await expect(Readable.from(s().frames(Readable.from([Buffer.alloc(99)]))).toArray()).rejects.toThrow(/ended after 99 of its 100 bytes/);
    await expect(Readable.from(s().frames(Readable.from([Buffer.alloc(101)]))).toArray()).rejects.toThrow(/longer than its 100 bytes/);
  });
});
