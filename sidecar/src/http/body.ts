import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { AppError } from '../errors';

/**
 * Bytes held by bodies being read or handled, shared by every request of a route. A request
 * takes what it reads (or declares) and gives it back when its response is done; past the
 * capacity it is refused with 503 instead of growing the heap until the process falls over.
 */
export class ByteBudget {
  private used = 0;
  constructor(
    readonly capacity: number,
    /** Told the bytes in use after every change (a gauge). */
    private readonly onChange: (inUse: number) => void = () => {},
  ) {}

  get inUse(): number {
    return this.used;
  }

  tryTake(n: number): boolean {
    if (this.used + n > this.capacity) return false;
    this.used += n;
    this.onChange(this.used);
    return true;
  }

  give(n: number): void {
    if (n === 0) return;
    this.used -= n;
    this.onChange(this.used);
  }
}

export interface ReadBodyOptions {
  /** Bytes after decompression; more is 413. */
  limit: number;
  /** From the start of reading to the last byte; longer is 408. */
  timeoutMs: number;
  /**
   * Decompress gzip, deflate and br bodies. Off for routes whose signatures cover the bytes
   * as sent: a compressed body there is 415.
   */
  inflate: boolean;
  /** Count the body (as read, decompressed) against a shared budget until `res` is done. */
  budget?: { pool: ByteBudget; res: ServerResponse };
}

/** True while the request still has body bytes nobody read (the connection cannot be reused). */
export function bodyUnread(req: IncomingMessage): boolean {
  const declared = req.headers['content-length'];
  const hasBody = (declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined;
  return hasBody && !req.readableEnded;
}

const tooLarge = (limit: number) => new AppError('payload_too_large', `The body exceeds ${limit} bytes.`);
const overBudget = () => new AppError('unavailable', 'Too many request bodies are being received; retry.', undefined, 1);

function decoder(req: IncomingMessage, inflate: boolean): Duplex | null {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return null;
  if (!inflate) throw new AppError('unsupported_media_type', 'Compressed bodies are not accepted.');
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  throw new AppError('unsupported_media_type', `Unsupported content-encoding "${encoding}".`);
}

/**
 * Reads a whole request body within a size limit, a deadline and (optionally) a shared byte
 * budget. On any refusal it stops reading at once and leaves the rest unread: the error
 * handler then closes the connection instead of draining what could be an endless body.
 */
export function readBody(req: IncomingMessage, opts: ReadBodyOptions): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const declaredBytes = declared === undefined ? 0 : Number(declared);
  if (declaredBytes > opts.limit) return Promise.reject(tooLarge(opts.limit));
  let decode: Duplex | null;
  try {
    decode = decoder(req, opts.inflate);
  } catch (err) {
    return Promise.reject(err);
  }
  const source: Readable = decode ?? req;
  const budget = opts.budget;
  let held = 0;
  const hold = (n: number): boolean => {
    if (!budget || n <= held) return true;
    if (!budget.pool.tryTake(n - held)) return false;
    held = n;
    return true;
  };
  if (budget) budget.res.once('close', () => budget.pool.give(held));
  if (!hold(declaredBytes)) return Promise.reject(overBudget());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => fail(new AppError('request_timeout', `The body was not received within ${opts.timeoutMs} ms.`)),
      opts.timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.limit) return fail(tooLarge(opts.limit));
      if (!hold(size)) return fail(overBudget());
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onDecodeError = () => fail(new AppError('invalid_request', 'The body does not match its content-encoding.'));
    // A client that gives up mid-body is not a server error; nobody will read this answer.
    const onAbort = () => fail(new AppError('invalid_request', 'The request was aborted.'));
    const fail = (err: unknown) => {
      cleanup();
      chunks.length = 0;
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      source.off('data', onData);
      source.off('end', onEnd);
      req.off('error', onAbort);
      if (decode) {
        // A late decompression error after we stopped listening must not crash the process.
        decode.off('error', onDecodeError).on('error', () => {});
        req.unpipe(decode);
        decode.destroy();
      }
      // Paused, not drained: what is left unread stays in the socket until it is closed.
      req.pause();
    };
    if (decode) {
      decode.on('error', onDecodeError);
      req.pipe(decode);
    }
    source.on('data', onData);
    source.on('end', onEnd);
    req.on('error', onAbort);
  });
}
