import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { JsonTooDeepError, parseJsonBody } from '../../http/json';
import { MalformedError, SignatureError } from './errors';

/**
 * Constant-time string comparison. Unequal lengths return early: the length of a MAC in a
 * fixed encoding is public, only its content must not leak through timing.
 */
export function safeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hmacSha256(key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** A single header value; a repeated header is ambiguous and treated as absent. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function requireHeader(headers: IncomingHttpHeaders, name: string): string {
  const v = header(headers, name);
  if (v === undefined) throw new SignatureError(`Missing ${name} header.`);
  return v;
}

/** A signed unix timestamp must lie within ±tolerance of now (both ways, like Standard Webhooks). */
export function checkFreshness(timestampS: number, nowS: number, toleranceS: number): void {
  if (!Number.isFinite(timestampS)) throw new SignatureError('The signed timestamp is not a number.');
  if (Math.abs(nowS - timestampS) > toleranceS) throw new SignatureError('The signed timestamp is outside the tolerance window.');
}

export function parseUnixSeconds(value: string): number {
  if (!/^\d{1,12}$/.test(value)) throw new SignatureError('The signed timestamp is not a unix time.');
  return Number(value);
}

const parsed = new WeakMap<Buffer, unknown>();

/**
 * The body as JSON, depth-bounded like every request body (`http/json.ts`); a syntax error or
 * an over-deep body is a MalformedError (400). Remembered per body, so the shared JSON rule
 * in `receive.ts` costs nothing after a verifier has parsed it.
 */
export function parseJson(body: Buffer): unknown {
  if (parsed.has(body)) return parsed.get(body);
  let value: unknown;
  try {
    value = parseJsonBody(body);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw new MalformedError(err.message);
    throw new MalformedError('The body is not valid JSON.');
  }
  parsed.set(body, value);
  return value;
}

export function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedError(`${what} is not a JSON object.`);
  return v as Record<string, unknown>;
}

/** A non-empty string field, else MalformedError naming it. */
export function stringField(obj: Record<string, unknown>, key: string, what = key): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw new MalformedError(`The body has no ${what}.`);
  return v;
}

/** An event id from a header the provider always sends; authentic but id-less is malformed. */
export function idHeader(headers: IncomingHttpHeaders, name: string): string {
  const v = header(headers, name);
  if (v === undefined) throw new MalformedError(`Missing ${name} header.`);
  return v;
}
