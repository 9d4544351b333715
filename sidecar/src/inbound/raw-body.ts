import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

/** Providers' own caps are lower (GitHub 25 MB aside); 1 MiB keeps memory per request bounded. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads the exact request bytes (signatures cover them, so no parser may touch them first).
 * A declared or actual size over `limit` is 413 without buffering the rest.
 */
export function readRawBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.reject(new AppError('unsupported_media_type', 'Compressed bodies are not accepted.'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume(); // discard the rest so the socket can answer
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const tooLarge = (limit: number) => new AppError('payload_too_large', `The body exceeds ${limit} bytes.`);
