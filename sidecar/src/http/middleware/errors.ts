import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody } from '../../errors';
import type { Logger } from '../../observability/logger';

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Maps every thrown error to the catalogue's JSON body; unknown errors become 500 without internals. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // A response already under way cannot carry an error body: Express's own handler closes
    // the connection (returning here would leave the client waiting forever).
    if (res.headersSent) {
      log.error({ err, method: req.method, path: req.path }, 'error after the response started');
      return next(err);
    }
    let appErr: AppError;
    if (err instanceof AppError) appErr = err;
    else {
      const type = (err as BodyParserError)?.type;
      if (type === 'entity.parse.failed') appErr = new AppError('invalid_json');
      else if (type === 'entity.too.large') appErr = new AppError('payload_too_large');
      else if (type === 'encoding.unsupported' || type === 'charset.unsupported') appErr = new AppError('unsupported_media_type');
      else {
        log.error({ err, method: req.method, path: req.path }, 'unhandled error');
        appErr = new AppError('internal');
      }
    }
    if (appErr.retryAfterS !== undefined) res.setHeader('retry-after', String(Math.ceil(appErr.retryAfterS)));
    res.status(appErr.status).json(errorBody(appErr));
  };
}
