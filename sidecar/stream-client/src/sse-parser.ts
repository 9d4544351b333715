/** One server-sent event block: the fields the sidecar sends. */
export interface SseFrame {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

/**
 * An incremental `text/event-stream` parser (the WHATWG rules the sidecar's output needs:
 * LF or CRLF lines, comments, `id`, `event`, multi-line `data`, `retry`). Feed it decoded text
 * as it arrives; it calls `onFrame` for each complete block.
 */
export class SseParser {
  private buf = '';
  constructor(private readonly onFrame: (f: SseFrame) => void) {}

  push(text: string): void {
    this.buf += text;
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (!m) return;
      const block = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.block(block);
    }
  }

  private block(block: string): void {
    const f: SseFrame = { event: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'id') f.id = value;
      else if (field === 'event') f.event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) f.retry = Number(value);
    }
    if (data.length === 0 && f.retry === undefined) return; // a comment-only block (heartbeat)
    f.data = data.join('\n');
    this.onFrame(f);
  }
}
