import { z } from 'zod';

/**
 * The operations every storage provider (amazon_s3, gcs, azure_blob) offers, with one set of
 * params, so callers (Frappe's File attachments, the desk's "Upload test file") need not know
 * which cloud a connection points at. The bucket or container is the base URL's path.
 */

/**
 * An object key: 1–1024 UTF-8 bytes, `/`-separated, no empty, `.` or `..` segment (they would be
 * normalised away by someone on the path), no control characters.
 */
export const ObjectKey = z
  .string()
  .min(1)
  .refine((k) => Buffer.byteLength(k) <= 1024, 'at most 1024 bytes')
  .refine((k) => !/[\u0000-\u001f\u007f]/.test(k), 'no control characters')
  .refine((k) => k.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'), 'no empty, . or .. segments (and no leading or trailing /)');

const ContentType = z.string().max(255).regex(/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;.*)?$/, 'a media type such as text/plain');

export const PutParams = z
  .object({
    key: ObjectKey,
    /** The object's bytes: text as given, or base64 (`encoding`). Up to 4 MiB here; larger files go through the streaming route. */
    content: z.string().max(6 * 1024 * 1024),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    content_type: ContentType.default('application/octet-stream'),
  })
  .strict();

export const KeyParams = z.object({ key: ObjectKey }).strict();

export const ListParams = z
  .object({
    prefix: z.string().max(1024).default(''),
    /** From a previous page's `next_token`. */
    continuation_token: z.string().max(4096).optional(),
    max_keys: z.number().int().min(1).max(1000).default(1000),
  })
  .strict();

export const SignedUrlParams = z
  .object({
    key: ObjectKey,
    method: z.enum(['GET', 'PUT']).default('GET'),
    /** Seconds the URL stays valid: short, since anyone holding it can use it. @defaultValue 300 */
    expires_s: z.number().int().min(1).max(7 * 86400).default(300),
    /** PUT: the Content-Type the uploader must send (signed). */
    content_type: ContentType.optional(),
    /** GET: the name a browser saves the file as (`Content-Disposition: attachment`). */
    download_name: z.string().min(1).max(255).regex(/^[^\r\n"\\]+$/, 'no quotes, backslashes or line breaks').optional(),
  })
  .strict();

export const AbortStaleParams = z
  .object({
    /** Uploads begun longer ago than this are aborted (their parts deleted). @defaultValue 24 */
    older_than_h: z.number().min(0).max(24 * 365).default(24),
    prefix: z.string().max(1024).default(''),
  })
  .strict();

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string | null;
  last_modified: string | null;
}

export interface SignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  expires_at: string;
  /** Headers the URL's user must send as they are (part of the signature). */
  headers: Record<string, string>;
}

/** `attachment; filename=…` with RFC 5987's UTF-8 form for names beyond ASCII. */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** `a b/c` → `a%20b/c`: each segment encoded, the slashes kept. */
export const keyPath = (key: string) => `/${key.split('/').map(rfc3986).join('/')}`;

export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
