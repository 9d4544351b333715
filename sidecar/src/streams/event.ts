import { valueAt } from './json-path';
import type { TokenFilter } from './schemas';

const UNPARSED = Symbol('unparsed');

/** A final, unmasked (server-to-client) text frame carrying `payload` (RFC 6455 §5.2). */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  return frame;
}

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

  /**
   * The whole WebSocket text frame as it goes on the wire (header and JSON payload), built once:
   * each subscriber costs one socket write, where `ws.send` would build a header and cork two
   * writes per subscriber.
   */
  wsFrame(): Buffer {
    return (this.ws ??= textFrame(Buffer.from(`{"id":${JSON.stringify(this.id)},"type":${JSON.stringify(this.type)},"data":${this.data}}`)));
  }
}
