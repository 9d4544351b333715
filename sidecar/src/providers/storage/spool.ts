import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AppError } from '../../errors';

/**
 * An upload's body written to a file as it arrives and hashed on the way, so it can be signed
 * whole (a plain signed PUT, as the AWS SDK sends a body it holds) and read again for a retry,
 * while memory holds no more than a socket's worth. As a proxy that buffers request bodies
 * (nginx's default) it sends nothing upstream until the sender is done: a sender that drops
 * leaves nothing behind anywhere.
 */
export interface SpooledBody {
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** A fresh read of the bytes, for each attempt. */
  open(): Readable;
  /** Deletes the file; an upload calls it once it has ended, whatever the outcome. */
  remove(): Promise<void>;
}

/** Writes `size` bytes of `body` under a new folder of `dir`. The sender's stream is never destroyed here: on failure the route still answers it. */
export async function spool(body: Readable, size: number, dir: string): Promise<SpooledBody> {
  let folder: string;
  try {
    folder = await mkdtemp(join(dir, 'ia-upload-'));
  } catch (err) {
    throw spoolError(err);
  }
  const path = join(folder, 'body');
  const remove = () => rm(folder, { recursive: true, force: true });
  const out = createWriteStream(path, { highWaterMark: 1024 * 1024 });
  let failed: Error | null = null;
  out.on('error', (err) => (failed = err));
  const hash = createHash('sha256');
  let seen = 0;
  try {
    for await (const c of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      seen += c.length;
      if (seen > size) throw new AppError('invalid_request', `The body is longer than its declared ${size} bytes.`);
      hash.update(c);
      if (!out.write(c)) await once(out, 'drain');
      if (failed) throw spoolError(failed);
    }
    if (seen !== size) throw new AppError('invalid_request', `The body ended after ${seen} of its declared ${size} bytes.`);
    out.end();
    await finished(out).catch((err: unknown) => {
      throw spoolError(err);
    });
  } catch (err) {
    out.destroy();
    await remove();
    throw err;
  }
  return { size, sha256: hash.digest('hex'), open: () => createReadStream(path, { highWaterMark: 1024 * 1024 }), remove };
}

/** A full or unwritable disk is the sidecar's problem, not the sender's: 503, with the system's reason. */
function spoolError(err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
  return new AppError('unavailable', `The sidecar could not keep the upload on disk (UPLOAD_SPOOL_DIR): ${code}.`);
}
