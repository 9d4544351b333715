/**
 * One event of a stream's history. Its frames are built once, on first use, and shared by
 * every subscriber of the process: fan-out costs one write per subscriber, not one
 * serialisation.
 */
export class StreamEvent {
  private sse: Buffer | null = null;
  private ws: Buffer | null = null;
  constructor(
    readonly id: string,
    readonly type: string,
    /** The event's data as JSON text (as published). */
    readonly data: string,
  ) {}

  /** `id:`/`event:`/`data:` lines; JSON.stringify output never holds a raw line break. */
  sseFrame(): Buffer {
    return (this.sse ??= Buffer.from(`id: ${this.id}\nevent: ${this.type}\ndata: ${this.data}\n\n`));
  }

  /** A JSON text frame's payload, as bytes so each send does not encode it again. */
  wsFrame(): Buffer {
    return (this.ws ??= Buffer.from(`{"id":${JSON.stringify(this.id)},"type":${JSON.stringify(this.type)},"data":${this.data}}`));
  }
}
