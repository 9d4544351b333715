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

/** The reader of a body being read, on its request (and its decoder) for the listeners below. */
const READER = Symbol('bodyReader');
type Carrier = Readable & { [READER]?: BodyReader };

/*
 * The listeners are module functions that find their reader on the emitter (`this`), and the
 * deadline timer gets the reader as its argument: no closure per request. Under tsx every named
 * closure is also wrapped to keep its name (a defineProperty each), which the proxy's profile
 * showed as a cost of its own.
 */
function onData(this: Carrier, chunk: Buffer): void {
  this[READER]?.data(chunk);
}
function onEnd(this: Carrier): void {
  this[READER]?.end();
}
function onDecodeError(this: Carrier): void {
  this[READER]?.fail(new AppError('invalid_request', 'The body does not match its content-encoding.'));
}
// A client that gives up mid-body is not a server error; nobody will read this answer.
function onAbort(this: Carrier): void {
  this[READER]?.fail(new AppError('invalid_request', 'The request was aborted.'));
}
function onDeadline(r: BodyReader): void {
  r.fail(new AppError('request_timeout', `The body was not received within ${r.opts.timeoutMs} ms.`));
}
function ignore(): void {}

class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private held = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly source: Carrier;

  constructor(
    private readonly req: Carrier,
    private readonly decode: (Duplex & Carrier) | null,
    readonly opts: ReadBodyOptions,
    private readonly resolve: (b: Buffer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.source = decode ?? req;
  }

  /** Starts reading: the deadline runs from here. */
  start(): void {
    const { req, decode } = this;
    this.timer = setTimeout(onDeadline, this.opts.timeoutMs, this);
    req[READER] = this;
    if (decode) {
      decode[READER] = this;
      decode.on('error', onDecodeError);
      req.pipe(decode);
    }
    this.source.on('data', onData);
    this.source.on('end', onEnd);
    req.on('error', onAbort);
  }

  /** Counts `n` bytes against the shared budget (if any); false when it is spent. */
  hold(n: number): boolean {
    const budget = this.opts.budget;
    if (!budget || n <= this.held) return true;
    if (!budget.pool.tryTake(n - this.held)) return false;
    this.held = n;
    return true;
  }

  /** Gives the budget back once the response is done. */
  releaseOn(res: ServerResponse, pool: ByteBudget): void {
    res.once('close', () => pool.give(this.held));
  }

  data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.opts.limit) return this.fail(tooLarge(this.opts.limit));
    if (!this.hold(this.size)) return this.fail(overBudget());
    this.chunks.push(chunk);
  }

  end(): void {
    this.cleanup();
    this.resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size));
  }

  fail(err: unknown): void {
    this.cleanup();
    this.chunks.length = 0;
    this.reject(err);
  }

  private cleanup(): void {
    const { req, decode, source } = this;
    clearTimeout(this.timer);
    req[READER] = undefined;
    source.off('data', onData);
    source.off('end', onEnd);
    req.off('error', onAbort);
    if (decode) {
      decode[READER] = undefined;
      // A late decompression error after we stopped listening must not crash the process.
      decode.off('error', onDecodeError).on('error', ignore);
      req.unpipe(decode);
      decode.destroy();
    }
    // Paused, not drained: what is left unread stays in the socket until it is closed.
    req.pause();
  }
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
  return new Promise((resolve, reject) => {
    const r = new BodyReader(req, decode, opts, resolve, reject);
    if (opts.budget) r.releaseOn(opts.budget.res, opts.budget.pool);
    if (r.hold(declaredBytes)) r.start();
    else reject(overBudget());
  });
}
