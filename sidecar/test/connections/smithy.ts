import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../../src/connections/auth/sigv4';

/** SHA-256 / HMAC-SHA-256 in the shape smithy's signer takes (the SDK ships it as @smithy/hash-node). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

class NodeSha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/**
 * Signs with the AWS SDK's own SigV4 signer, configured the way the SDK configures it per
 * service: S3 gets no second path encoding and always the payload-hash header.
 */
export async function smithySign(
  req: { method: string; host: string; path: string; query: Record<string, string | string[]>; headers: Record<string, string>; body?: string },
  o: { credentials: AwsCredentials; region: string; service: string; date: Date },
): Promise<Record<string, string>> {
  const s3 = o.service === 's3';
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.credentials.accessKeyId, secretAccessKey: o.credentials.secretAccessKey, sessionToken: o.credentials.sessionToken },
    region: o.region,
    service: o.service,
    sha256: NodeSha256,
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
  const signed = await signer.sign(
    { method: req.method, protocol: 'https:', hostname: req.host, path: req.path, query: req.query, headers: { ...req.headers, host: req.host }, body: req.body },
    { signingDate: o.date },
  );
  return signed.headers as Record<string, string>;
}

/** A presigned URL's query from the AWS SDK's own signer (S3 rules), for comparison with ours. */
export async function smithyPresign(
  req: { method: string; host: string; path: string; query: Record<string, string>; headers?: Record<string, string> },
  o: { credentials: AwsCredentials; region: string; date: Date; expiresS: number },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region, service: 's3', sha256: NodeSha256, uriEscapePath: false });
  const signed = await signer.presign(
    // As @aws-sdk/s3-request-presigner does: the payload is declared unsigned, the header itself not signed.
    { method: req.method, protocol: 'https:', hostname: req.host, path: req.path, query: req.query, headers: { ...req.headers, host: req.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    { signingDate: o.date, expiresIn: o.expiresS, unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']) },
  );
  return signed.query as Record<string, string>;
}
