import type { Readable } from 'node:stream';

/** How an upload's body is cut: its part size, and its length when the sender declared one. */
export interface PartPlan {
  partSize: number;
  /** The body's Content-Length, if sent: parts are then allocated at their exact size. */
  size?: number | undefined;
}

/**
 * Cuts a stream into parts of exactly `partSize` bytes (the last one shorter), pulling only as
 * much as the part being filled needs: the stream's backpressure holds the sender while parts
 * are on their way, so an upload of any size keeps only its parts in memory. Each part is one
 * buffer the chunks are copied into as they arrive (no second copy to join them), and a Buffer,
 * so a failed part can be sent again.
 *
 * Part buffers are the upload's whole memory, so none is allocated needlessly: with a known
 * size every part is allocated at its own length (a 1 MiB file gets 1 MiB, not a part's worth),
 * and a part the caller hands back through {@link PartReader.recycle} once it is stored is
 * filled again instead of a new one (a fresh 8 MiB buffer per part is garbage the collector
 * must chase, and resident memory that follows the file's size until it does).
 * Stopping early leaves the stream open (its owner drains or closes it).
 */
export class PartReader {
  private readonly spare: Buffer[] = [];
  private left: number;

  constructor(
    private readonly stream: Readable,
    private readonly plan: PartPlan,
  ) {
    this.left = plan.size ?? Infinity;
  }

  /** A part that is stored (its request answered 2xx, so its bytes were read): its buffer may be filled again. */
  recycle(part: Buffer): void {
    if (part.length === this.plan.partSize && this.spare.length < 2) this.spare.push(part);
  }

  private fresh(): Buffer {
    const want = Math.min(this.plan.partSize, this.left);
    if (want === this.plan.partSize && this.spare.length > 0) return this.spare.pop()!;
    return Buffer.allocUnsafe(want === Infinity ? this.plan.partSize : want);
  }

  async *parts(): AsyncGenerator<Buffer> {
    let part = this.fresh();
    let filled = 0;
    for await (const c of this.stream.iterator({ destroyOnReturn: false })) {
      let chunk = c as Buffer;
      // HTTP's framing keeps a body to its Content-Length: a full last part is the end.
      while (part.length > 0 && filled + chunk.length >= part.length) {
        const take = part.length - filled;
        chunk.copy(part, filled, 0, take);
        this.left -= part.length;
        yield part;
        chunk = chunk.subarray(take);
        filled = 0;
        part = this.fresh();
      }
      if (chunk.length > 0 && part.length > 0) filled += chunk.copy(part, filled);
    }
    // Without a declared size the last part is short: it gets a buffer of its own size, so a
    // 1 MiB file sent chunked does not keep a part's worth.
    if (filled > 0) yield Buffer.from(part.subarray(0, filled));
    else if (this.plan.size === 0) yield part;
  }
}
