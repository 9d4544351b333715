import type { HttpResult } from './http';
import { Readable } from 'node:stream';
import { awsPath, awsQuery, chunkedHeaders, payloadHash, signSigV4, signSigV4Chunked } from './auth/sigv4';
import { signSharedKey } from './auth/azure';
import type { Method, ProxyBody } from './schemas';
import type { RuntimeConnection } from './store';
import { performance } from 'node:perf_hooks';

/**
 * What one proxied request is made of, before and after the connection's credentials are put
 * in: the JSON proxy's body (`ProxyBody`) and providers' own byte requests (`RawRequest`) both
 * become an `Outgoing`, so both run under the same policy loop in proxy.ts.
 */

/** A provider's own request: bytes in (replayable, so retried as the policy allows), bytes or a stream out. */
export interface RawRequest {
  method: Method;
  /** Encoded the way the API expects; appended to the base URL's path unless `fromOrigin`. */
  path: string;
  query?: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names. */
  headers?: Record<string, string>;
  body?: Buffer;
  /** Instead of `body`: bytes passing through (an upload), sent once and so never retried. */
  stream?: BodyStream;
  /** Instead of `body`: bytes kept on disk, read again for each attempt (so retried as `body` is). */
  file?: FileBody;
  /** The path starts at the origin's root, not at the base URL's path (e.g. GCS's JSON API beside its XML one). */
  fromOrigin?: boolean;
  /** A POST that may be repeated safely (S3 CompleteMultipartUpload, Azure Put Block List). */
  idempotent?: boolean;
  timeout_ms?: number;
}

/** A body read once as it arrives, of a length known in advance. */
export interface BodyStream {
  size: number;
  source: AsyncIterable<Buffer>;
}

/** A body kept on disk and hashed (providers/storage/spool.ts): opened again for each attempt. */
export interface FileBody {
  size: number;
  /** Hex SHA-256, for signers that sign the payload. */
  sha256: string;
  open(): Readable;
}

/**
 * The chunk size of S3's signed streaming uploads: each chunk is hashed and held before it is
 * sent, so this is what an upload holds; AWS asks for at least 8 KiB and advises 64 KiB or more.
 */
const AWS_CHUNK = 256 * 1024;

/** A request ready for the attempt loop: everything but the credentials, which change per attempt. */
export interface Outgoing {
  method: Method;
  path: string;
  fromOrigin: boolean;
  /** Method-independent retry safety (an idempotency key, or a POST the provider documents as safe). */
  repeatable: boolean;
  /** The body is a stream, read by the first attempt: there is no second. */
  once: boolean;
  timeoutMs: number | undefined;
  build(rt: RuntimeConnection): { headers: Record<string, string>; body: string | Buffer | undefined; stream?: BodyStream | undefined; file?: FileBody | undefined; query: URLSearchParams };
}

export function fromProxyBody(req: ProxyBody): Outgoing {
  return {
    method: req.method,
    path: req.path,
    fromOrigin: false,
    repeatable: req.idempotency_key !== undefined,
    once: false,
    timeoutMs: req.timeout_ms,
    build(rt) {
      const headers: Record<string, string> = { 'user-agent': 'integrations-app-sidecar' };
      for (const k in rt.headers) headers[k.toLowerCase()] = rt.headers[k]!;
      if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k]!;
      let body: string | Buffer | undefined;
      if (req.body !== undefined) {
        if (typeof req.body === 'string' && headers['content-type']) body = req.body_encoding === 'base64' ? Buffer.from(req.body, 'base64') : req.body;
        else {
          body = JSON.stringify(req.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      if (req.idempotency_key) headers[(req.idempotency_header ?? 'idempotency-key').toLowerCase()] = req.idempotency_key;
      const query = new URLSearchParams(rt.baseQuery);
      if (req.query) for (const [k, v] of Object.entries(req.query)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
      return { headers, body, query };
    },
  };
}

export function fromRaw(req: RawRequest): Outgoing {
  return {
    method: req.method,
    path: req.path,
    fromOrigin: req.fromOrigin ?? false,
    repeatable: req.idempotent ?? false,
    once: req.stream !== undefined,
    timeoutMs: req.timeout_ms,
    build(rt) {
      const headers: Record<string, string> = { 'user-agent': 'integrations-app-sidecar' };
      for (const k in rt.headers) headers[k.toLowerCase()] = rt.headers[k]!;
      if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k]!;
      // Signers that cover Content-Length (Azure) must see the length that will be sent.
      if (req.stream) headers['content-length'] = String(req.stream.size);
      else if (req.file) headers['content-length'] = String(req.file.size);
      else if (req.body !== undefined || req.method === 'PUT' || req.method === 'POST') headers['content-length'] = String(req.body?.length ?? 0);
      const query = new URLSearchParams(rt.baseQuery);
      for (const [k, v] of req.query ?? []) query.append(k, v);
      return { headers, body: req.body, stream: req.stream, file: req.file, query };
    },
  };
}

/** The credentials that are plain values (API key, bearer, basic); signed schemes are `authorize`'s. */
export function applyStaticAuth(rt: RuntimeConnection, headers: Record<string, string>, query: URLSearchParams): void {
  const a = rt.auth;
  if (a.type === 'api_key') {
    if (a.in === 'header') headers[a.name.toLowerCase()] = a.prefix + a.value;
    else query.set(a.name, a.value);
  } else if (a.type === 'bearer') headers.authorization = `Bearer ${a.token}`;
  else if (a.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}

/**
 * Puts the connection's credentials in, last, so neither defaults nor the caller can replace
 * them; signs where the scheme signs the request. Returns the path with its query to send, and
 * the body to send (a stream's, framed as the signature needs).
 */
export function authorize(rt: RuntimeConnection, o: Outgoing, headers: Record<string, string>, query: URLSearchParams, body: string | Buffer | undefined, stream?: BodyStream, file?: FileBody): { path: string; body: string | Buffer | Readable | undefined } {
  const a = rt.auth;
  let path = (o.fromOrigin ? '' : rt.basePath) + o.path;
  applyStaticAuth(rt, headers, query);
  if (a.type === 'aws_sigv4') {
    // Signed per attempt (the date is part of the signature), on exactly the bytes sent.
    const pairs = [...query];
    path = awsPath(path);
    const qs = awsQuery(pairs);
    const target = { method: o.method, host: new URL(rt.origin).host, path, query: pairs, headers };
    const scope = { credentials: { accessKeyId: a.access_key_id, secretAccessKey: a.secret_access_key, sessionToken: a.session_token }, region: a.region, service: a.service };
    path += qs ? `?${qs}` : '';
    if (stream) {
      // Signed as it passes (aws-chunked): no whole-body hash to wait for, nothing held but a chunk.
      chunkedHeaders(headers, stream.size, AWS_CHUNK);
      const signed = signSigV4Chunked(target, scope, stream.size, AWS_CHUNK);
      Object.assign(headers, signed.headers);
      return { path, body: Readable.from(signed.frames(stream.source), { objectMode: false }) };
    }
    if (file) {
      Object.assign(headers, signSigV4({ ...target, payloadHash: file.sha256 }, scope));
      return { path, body: file.open() };
    }
    Object.assign(headers, signSigV4({ ...target, payloadHash: payloadHash(body) }, scope));
    return { path, body };
  } else if (a.type === 'azure_shared_key') {
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const qs = query.toString();
    Object.assign(headers, signSharedKey({ method: o.method, path, rawQuery: qs, headers }, { account: a.account, key: a.key }));
    return { path: path + (qs ? `?${qs}` : ''), body: stream ? Readable.from(stream.source, { objectMode: false }) : (file?.open() ?? body) };
  }
  const qs = query.toString();
  return { path: path + (qs ? `?${qs}` : ''), body: stream ? Readable.from(stream.source, { objectMode: false }) : (file?.open() ?? body) };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'content-length']);
const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|graphql)\b)/i;

/** The answer's headers a caller may see; providers' own requests keep Content-Length (an object's size). */
export function endToEnd(h: Record<string, string | string[]>, keepLength = false): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) if (!HOP_BY_HOP.has(k) || (keepLength && k === 'content-length')) out[k] = h[k]!;
  return out;
}

export interface ProxyResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  body_encoding: 'utf8' | 'base64';
  attempts: number;
  duration_ms: number;
}

export interface RawResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  attempts: number;
  duration_ms: number;
}

export const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;

export function passBack(r: HttpResult, attempts: number, started: number): ProxyResult {
  const type = r.headers['content-type'];
  const textual = typeof type === 'string' ? TEXTUAL.test(type) : r.body.length === 0;
  return {
    status: r.status!,
    headers: endToEnd(r.headers),
    body: textual ? r.body.toString('utf8') : r.body.toString('base64'),
    body_encoding: textual ? 'utf8' : 'base64',
    attempts,
    duration_ms: elapsed(started),
  };
}
