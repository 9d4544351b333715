import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors';
import { readBody } from '../body';
import { JsonSyntaxError, JsonTooDeepError, parseJsonBody } from '../json';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

const mediaType = (contentType: string) => contentType.split(';', 1)[0]!.trim().toLowerCase();

/**
 * The authenticated API's JSON body (Express and the fast routes): a body on a write must be
 * `application/json` in UTF-8 (415 otherwise), at most `limit` bytes (413), received within
 * `timeoutMs` (408), and nested at most `MAX_JSON_DEPTH` levels (400; per item in batches, see
 * `parseJsonBody`). Resolves to undefined when the request has no body.
 */
export async function readJsonBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<unknown> {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (mediaType(type) !== 'application/json') throw new AppError('unsupported_media_type', 'Send the body as application/json.');
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new AppError('unsupported_media_type', 'Send the body in UTF-8.');
  const buf = await readBody(req, { limit, timeoutMs, inflate: true });
  const first = buf.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (first !== 0x7b && first !== 0x5b) throw new AppError('invalid_json', 'The body must be a JSON object or array.');
  try {
    return parseJsonBody(buf, { batches: true });
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new AppError('invalid_json');
    if (err instanceof JsonTooDeepError) throw new AppError('invalid_json', err.message);
    throw err;
  }
}

/** {@link readJsonBody} as Express middleware: the value lands in `req.body`. */
export function jsonBody(limit: number, timeoutMs: number): RequestHandler {
  return async (req, _res, next) => {
    try {
      req.body = await readJsonBody(req, limit, timeoutMs);
      next();
    } catch (err) {
      next(err);
    }
  };
}
