/** One event as an EventSource would dispatch it. */
export interface SseMessage {
  /** The stream's last event id when this event was dispatched ('' if none was ever set). */
  id: string;
  /** The `event:` field, or "message". */
  type: string;
  data: string;
}

/**
 * The `text/event-stream` interpretation of the HTML standard (§9.2.6), fed chunk by chunk:
 * lines end with CRLF, LF or CR (a CR at a chunk's end waits for a possible LF); `data` lines
 * join with LF; `id` persists across events and ignores values holding NUL; a blank line
 * dispatches (an event without data is dropped, its id kept). `retry:` is the server's
 * reconnection hint in ms. Bytes are decoded as UTF-8 across chunk boundaries.
 */
export class SseParser {
  lastEventId = '';
  retryMs: number | null = null;
  private readonly decoder = new TextDecoder('utf-8');
  private buf = '';
  private pendingCr = false;
  private data: string[] = [];
  private type = '';
  private started = false;

  /** Parses a chunk; returns the events it completed, in order. */
  push(chunk: Uint8Array): SseMessage[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseMessage[] = [];
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text[0] === '\n') i = 1;
    }
    let start = i;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buf + text.slice(start, i), out);
      this.buf = '';
      if (c === '\r') {
        if (i + 1 === text.length) this.pendingCr = true;
        else if (text[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.buf += text.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push({ id: this.lastEventId, type: this.type || 'message', data: this.data.join('\n') });
      this.data = [];
      this.type = '';
      return;
    }
    if (line[0] === ':') return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id') {
      if (!value.includes('\0')) this.lastEventId = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
