import type { Readable } from 'node:stream';

/**
 * Cuts a stream into parts of exactly `size` bytes (the last one shorter), pulling only as much
 * as the part being filled needs: the stream's backpressure holds the sender while a part is
 * on its way, so an upload of any size keeps at most one part (plus one read chunk) in memory.
 * A part is a Buffer, so a failed part can be sent again. Stopping early leaves the stream open
 * (its owner drains or closes it).
 */
export async function* readParts(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let filled = 0;
  // Not destroyed when the consumer stops early: the caller still answers the sender.
  for await (const c of stream.iterator({ destroyOnReturn: false })) {
    let chunk = c as Buffer;
    while (filled + chunk.length >= size) {
      const take = size - filled;
      chunks.push(chunk.subarray(0, take));
      yield chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunk = chunk.subarray(take);
      chunks = [];
      filled = 0;
    }
    if (chunk.length > 0) {
      chunks.push(chunk);
      filled += chunk.length;
    }
  }
  if (filled > 0) yield Buffer.concat(chunks, filled);
}
