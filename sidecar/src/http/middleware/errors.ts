import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody } from '../../errors';
import type { Logger } from '../../observability/logger';
import { bodyUnread } from '../body';

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));

/**
 * Answers an error with the catalogue's JSON body (Express's error handler and the fast routes);
 * unknown errors become 500 without internals. A request whose body was not read (refused
 * before or while reading it) gets `connection: close`: draining it first would let anyone
 * stream an endless body at us. The response must not have started.
 */
export function sendError(err: unknown, req: IncomingMessage, res: ServerResponse, log: Logger, path: string): void {
  let appErr: AppError;
  if (err instanceof AppError) appErr = err;
  else if (err instanceof URIError) {
    // A path parameter could not be decoded: the client's mistake, and on public routes
    // anyone's, so it must not reach the error log.
    appErr = new AppError('invalid_request', 'The path has a malformed percent-escape.');
    log.debug({ method: req.method, path }, 'malformed percent-escape in the path');
  } else {
    log.error({ err, method: req.method, path }, 'unhandled error');
    appErr = new AppError('internal');
  }
  const text = JSON.stringify(errorBody(appErr));
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  if (appErr.retryAfterS !== undefined) headers['retry-after'] = String(Math.ceil(appErr.retryAfterS));
  if (bodyUnread(req)) headers.connection = 'close';
  res.writeHead(appErr.status, headers).end(text);
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // A response already under way cannot carry an error body: Express's own handler closes
    // the connection (returning here would leave the client waiting forever).
    if (res.headersSent) {
      log.error({ err, method: req.method, path: req.path }, 'error after the response started');
      return next(err);
    }
    sendError(err, req, res, log, req.path);
  };
}
