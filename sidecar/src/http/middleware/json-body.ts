import type { RequestHandler } from 'express';
import { AppError } from '../../errors';
import { readBody } from '../body';
import { JsonSyntaxError, JsonTooDeepError, parseJsonBody } from '../json';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * JSON body parser for the authenticated API: a body on a write must be `application/json`
 * in UTF-8 (415 otherwise), at most `limit` bytes (413), received within `timeoutMs` (408),
 * and nested at most `MAX_JSON_DEPTH` levels (400; per item in batches, see `parseJsonBody`).
 */
export function jsonBody(limit: number, timeoutMs: number): RequestHandler {
  return async (req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return next();
    if (!req.is('application/json')) return next(new AppError('unsupported_media_type', 'Send the body as application/json.'));
    const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new AppError('unsupported_media_type', 'Send the body in UTF-8.'));
    }
    try {
      const buf = await readBody(req, { limit, timeoutMs, inflate: true });
      const first = buf.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
      if (first !== 0x7b && first !== 0x5b) throw new AppError('invalid_json', 'The body must be a JSON object or array.');
      req.body = parseJsonBody(buf, { batches: true });
      next();
    } catch (err) {
      if (err instanceof JsonSyntaxError) return next(new AppError('invalid_json'));
      if (err instanceof JsonTooDeepError) return next(new AppError('invalid_json', err.message));
      next(err);
    }
  };
}
