import { describe, expect, it } from 'vitest';
import { SseParser, type SseFrame } from './sse-parser';

describe('SseParser', () => {
  it('parses frames split anywhere, skips comments, joins data lines, reads retry', () => {
    const frames: SseFrame[] = [];
    const p = new SseParser((f) => frames.push(f));
    const text = 'retry: 2000\n\n: heartbeat\n\nid: 1-0\nevent: a\ndata: {"x":1}\n\nid: 2-0\r\nevent: b\r\ndata: one\r\ndata: two\r\n\r\n';
    for (const ch of text) p.push(ch);
    expect(frames).toEqual([
      { event: 'message', data: '', retry: 2000 },
      { id: '1-0', event: 'a', data: '{"x":1}' },
      { id: '2-0', event: 'b', data: 'one\ntwo' },
    ]);
  });
});
