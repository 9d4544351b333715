import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer auth for /v1. Compares digests so neither length nor content leaks through timing. */
export function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      return next(new AppError('unauthenticated'));
    }
    next();
  };
}
