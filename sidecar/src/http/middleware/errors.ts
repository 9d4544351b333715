import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody } from '../../errors';
import type { Logger } from '../../observability/logger';
import { bodyUnread } from '../body';

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));

/**
 * Maps every thrown error to the catalogue's JSON body; unknown errors become 500 without
 * internals. A request whose body was not read (refused before or while reading it) gets
 * `connection: close`: draining it first would let anyone stream an endless body at us.
 */
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
    else if (err instanceof URIError) {
      // The router could not decode a path parameter: the client's mistake, and on public
      // routes anyone's, so it must not reach the error log.
      appErr = new AppError('invalid_request', 'The path has a malformed percent-escape.');
      log.debug({ method: req.method, path: req.path }, 'malformed percent-escape in the path');
    } else {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      appErr = new AppError('internal');
    }
    if (appErr.retryAfterS !== undefined) res.setHeader('retry-after', String(Math.ceil(appErr.retryAfterS)));
    if (bodyUnread(req)) res.setHeader('connection', 'close');
    res.status(appErr.status).json(errorBody(appErr));
  };
}
