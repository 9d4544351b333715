import { valueAt } from './json-path';
import type { TokenFilter } from './schemas';

const UNPARSED = Symbol('unparsed');

/**
 * One event of a stream's history. Its frames are built once, on first use, and shared by
 * every subscriber of the process: fan-out costs one write per subscriber, not one
 * serialisation.
 */
export class StreamEvent {
  private sse: Buffer | null = null;
  private ws: Buffer | null = null;
  private parsed: unknown = UNPARSED;
  constructor(
    readonly id: string,
    readonly type: string,
    /** The event's data as JSON text (as published). */
    readonly data: string,
  ) {}

  /** Whether a consumer's filter lets the event through; the data is parsed once, on the first filter. */
  matches(filter: TokenFilter): boolean {
    if (this.parsed === UNPARSED) {
      try {
        this.parsed = JSON.parse(this.data);
      } catch {
        this.parsed = undefined;
      }
    }
    const v = valueAt(this.parsed, filter.field);
    return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && String(v) === String(filter.equals);
  }

  /** `id:`/`event:`/`data:` lines; JSON.stringify output never holds a raw line break. */
  sseFrame(): Buffer {
    return (this.sse ??= Buffer.from(`id: ${this.id}\nevent: ${this.type}\ndata: ${this.data}\n\n`));
  }

  /** A JSON text frame's payload, as bytes so each send does not encode it again. */
  wsFrame(): Buffer {
    return (this.ws ??= Buffer.from(`{"id":${JSON.stringify(this.id)},"type":${JSON.stringify(this.type)},"data":${this.data}}`));
  }
}
