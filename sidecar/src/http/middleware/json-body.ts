import express, { type RequestHandler } from 'express';
import { AppError } from '../../errors';

/**
 * JSON body parser for the authenticated API: a body on a write must be JSON (415 otherwise),
 * and larger than `limit` is 413.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) {
      return next(new AppError('unsupported_media_type', 'Send the body as application/json.'));
    }
    next();
  };
  return [requireJson, express.json({ limit, strict: true, type: 'application/json' })];
}
