import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for proxied calls (header form: `Authorization: AWS4-HMAC-SHA256 …`),
 * small enough to live in the request path instead of the AWS SDK. The rules it follows, and
 * where they differ between services, are those of the SDK's own signer (`@smithy/signature-v4`),
 * which the tests compare it with request by request:
 * - URI encoding: RFC 3986 unreserved characters stay, everything else is `%XX` upper-case, a
 *   space is `%20` (never `+`), in paths and in queries alike.
 * - Canonical URI: S3 signs the path as sent (encoded once, `//` and dots kept, since they can be
 *   part of an object key); every other service signs the normalised path encoded a second time.
 * - Canonical query: each name and value encoded, sorted by name, then by `name=value` for a
 *   repeated name.
 * - Signed headers: every header sent except those a hop may change (user-agent,
 *   authorization, connection…), plus `host` and `x-amz-date`; `x-amz-content-sha256` is sent
 *   and signed for S3 (it requires it), `x-amz-security-token` when there is a session token.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SigV4Target {
  method: string;
  /** `host[:port]` as the Host header will carry it. */
  host: string;
  /** The path as sent: encoded once, the way {@link awsPath} encodes it. */
  path: string;
  /** Decoded query parameters, in any order, names repeatable. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names: the headers that will be sent (the signature headers are added). */
  headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body ({@link payloadHash}) or {@link UNSIGNED_PAYLOAD}. */
  payloadHash: string;
}

export interface SigV4Scope {
  credentials: AwsCredentials;
  region: string;
  service: string;
  /** @defaultValue now */
  date?: Date;
}

/** S3 only: the body is not part of the signature (for bodies streamed later). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Never signed: a proxy or the HTTP client may add, drop or rewrite them on the way. */
const UNSIGNABLE = new Set([
  'authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards', 'pragma', 'referer', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id',
]);

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

export const payloadHash = (body: string | Buffer | undefined) => sha256Hex(body ?? '');

/** AWS's URI encoding (RFC 3986 unreserved kept; `encodeURIComponent` leaves `!'()*` alone). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A stray `%` is a literal percent sign.
    return segment;
  }
}

/**
 * The path to send: each segment decoded once (callers may send `my%20key` or `my key`'s
 * encoded form in any spelling) and encoded AWS's way, so what is sent and what S3 signs are
 * the same bytes.
 */
export function awsPath(path: string): string {
  return path.split('/').map((seg) => uriEncode(decodeSegment(seg))).join('/');
}

/** The canonical query, which is also the query string to send. */
export function awsQuery(query: ReadonlyArray<readonly [string, string]>): string {
  const byName = new Map<string, string[]>();
  for (const [k, v] of query) {
    const name = uriEncode(k);
    const pairs = byName.get(name) ?? [];
    pairs.push(`${name}=${uriEncode(v)}`);
    byName.set(name, pairs);
  }
  return [...byName.keys()]
    .sort()
    .map((name) => byName.get(name)!.sort().join('&'))
    .join('&');
}

function canonicalUri(path: string, service: string): string {
  if (service === 's3') return path;
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalised).replace(/%2F/g, '/');
}

function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
}

/** `20261130T210000Z` */
const amzDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

export interface PresignTarget {
  method: string;
  host: string;
  /** As in {@link SigV4Target}. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Headers the URL's user must send as given (lower-case), signed with `host`. */
  headers?: Readonly<Record<string, string>>;
  /** 1 s to 7 days (SigV4's limit). */
  expiresS: number;
}

/**
 * A presigned URL's query (SigV4 in the query string, `X-Amz-*` parameters): anyone holding the
 * URL may make that one request until it expires. The payload is unsigned, as S3 requires for
 * presigned requests. Returns the full query string to append after `?`.
 */
export function presignSigV4(req: PresignTarget, scope: SigV4Scope): string {
  const { credentials, region, service } = scope;
  const longDate = amzDate(scope.date ?? new Date());
  const day = longDate.slice(0, 8);
  const credentialScope = `${day}/${region}/${service}/aws4_request`;
  const headers: Record<string, string> = { ...req.headers, host: req.host };
  const names = Object.keys(headers).sort();
  const query: Array<readonly [string, string]> = [
    ...req.query,
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${credentialScope}`],
    ['X-Amz-Date', longDate],
    ['X-Amz-Expires', String(req.expiresS)],
    ['X-Amz-SignedHeaders', names.join(';')],
  ];
  if (credentials.sessionToken) query.push(['X-Amz-Security-Token', credentials.sessionToken]);
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim()}\n`).join('');
  const canonicalRequest = [req.method.toUpperCase(), canonicalUri(req.path, service), awsQuery(query), canonicalHeaders, names.join(';'), UNSIGNED_PAYLOAD].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, region, service)).update(stringToSign, 'utf8').digest('hex');
  return `${awsQuery(query)}&X-Amz-Signature=${signature}`;
}

/**
 * The headers to add to the request: `authorization`, `x-amz-date`, and
 * `x-amz-content-sha256` / `x-amz-security-token` where they apply.
 */
export function signSigV4(req: SigV4Target, scope: SigV4Scope): Record<string, string> {
  return sign(req, scope).added;
}

function sign(req: SigV4Target, scope: SigV4Scope) {
  const { credentials, region, service } = scope;
  const longDate = amzDate(scope.date ?? new Date());
  const day = longDate.slice(0, 8);
  const added: Record<string, string> = { 'x-amz-date': longDate };
  if (credentials.sessionToken) added['x-amz-security-token'] = credentials.sessionToken;
  if (service === 's3') added['x-amz-content-sha256'] = req.payloadHash;

  const all: Record<string, string> = { ...req.headers, ...added, host: req.host };
  const names = Object.keys(all).filter((n) => !UNSIGNABLE.has(n) && !n.startsWith('proxy-') && !n.startsWith('sec-')).sort();
  const canonicalHeaders = names.map((n) => `${n}:${all[n]!.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [req.method.toUpperCase(), canonicalUri(req.path, service), awsQuery(req.query), canonicalHeaders, signedHeaders, req.payloadHash].join('\n');
  const credentialScope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(credentials.secretAccessKey, day, region, service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  added.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { added, signature, key, longDate, credentialScope };
}

/**
 * S3's signed streaming upload (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, "aws-chunked"): the
 * headers are signed with that marker instead of the body's hash, and the body goes as chunks
 * each signed over its own SHA-256 and the previous chunk's signature. The body is then as
 * signed as with a whole-body hash, but each chunk is hashed as it passes: nothing waits for
 * the whole body, and nothing more than a chunk is held.
 */
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

/** Bytes of a chunk's frame around its data: `hex-size;chunk-signature=<64 hex>\r\n` … `\r\n`. */
const frameBytes = (n: number) => n.toString(16).length + ';chunk-signature='.length + 64 + 4;

/** The encoded (sent) length of `size` bytes cut into `chunk`-byte chunks, with the final empty chunk. */
export function chunkedLength(size: number, chunk: number): number {
  const full = Math.floor(size / chunk);
  const rest = size % chunk;
  return full * (frameBytes(chunk) + chunk) + (rest > 0 ? frameBytes(rest) + rest : 0) + frameBytes(0);
}

/** The headers of a streaming upload to add before signing it (they are signed). */
export function chunkedHeaders(headers: Record<string, string>, size: number, chunk: number): void {
  headers['content-encoding'] = headers['content-encoding'] ? `aws-chunked,${headers['content-encoding']}` : 'aws-chunked';
  headers['x-amz-decoded-content-length'] = String(size);
  headers['content-length'] = String(chunkedLength(size, chunk));
}

const EMPTY_SHA256 = sha256Hex('');
const CRLF = Buffer.from('\r\n');

/**
 * Signs `req` (whose headers {@link chunkedHeaders} completed) for a streaming upload: its
 * headers, and a function that frames `size` bytes of `source` as signed chunks of `chunk` bytes
 * (the last shorter). The source's buffers pass through as they are, none copied: a chunk's
 * frame goes out once the chunk's bytes are hashed, then the bytes it holds.
 */
export function signSigV4Chunked(req: Omit<SigV4Target, 'payloadHash'>, scope: SigV4Scope, size: number, chunk: number) {
  const s = sign({ ...req, payloadHash: STREAMING_PAYLOAD }, scope);
  async function* frames(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let previous = s.signature;
    const frame = (n: number, hash: string) => {
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', s.longDate, s.credentialScope, previous, EMPTY_SHA256, hash].join('\n');
      previous = createHmac('sha256', s.key).update(toSign, 'utf8').digest('hex');
      return Buffer.from(`${n.toString(16)};chunk-signature=${previous}\r\n`);
    };
    let sent = 0;
    let held: Buffer[] = [];
    let n = 0;
    let hash = createHash('sha256');
    for await (const c of source) {
      let b = c;
      while (b.length > 0) {
        const want = Math.min(chunk, size - sent);
        if (want === 0) throw new Error(`the body is longer than its ${size} bytes`);
        const piece = b.length <= want - n ? b : b.subarray(0, want - n);
        hash.update(piece);
        held.push(piece);
        n += piece.length;
        b = b.subarray(piece.length);
        if (n === want) {
          yield frame(n, hash.digest('hex'));
          yield* held;
          yield CRLF;
          sent += n;
          held = [];
          n = 0;
          hash = createHash('sha256');
        }
      }
    }
    if (sent !== size) throw new Error(`the body ended after ${sent + n} of its ${size} bytes`);
    yield Buffer.concat([frame(0, EMPTY_SHA256), CRLF]);
  }
  return { headers: s.added, frames };
}
