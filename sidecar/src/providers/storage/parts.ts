import type { Readable } from 'node:stream';

/**
 * Cuts a stream into parts of exactly `size` bytes (the last one shorter), pulling only as much
 * as the part being filled needs: the stream's backpressure holds the sender while parts are on
 * their way, so an upload of any size keeps only its parts in memory. Each part is one buffer
 * the chunks are copied into as they arrive (no second copy to join them), and a Buffer, so a
 * failed part can be sent again. Stopping early leaves the stream open (its owner drains or
 * closes it).
 */
export async function* readParts(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let part = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const c of stream.iterator({ destroyOnReturn: false })) {
    let chunk = c as Buffer;
    while (filled + chunk.length >= size) {
      const take = size - filled;
      chunk.copy(part, filled, 0, take);
      yield part;
      part = Buffer.allocUnsafe(size);
      filled = 0;
      chunk = chunk.subarray(take);
    }
    chunk.copy(part, filled);
    filled += chunk.length;
  }
  // A short last part gets a buffer of its own size: a 1 MiB file must not hold a part's worth.
  if (filled > 0) yield Buffer.from(part.subarray(0, filled));
}
