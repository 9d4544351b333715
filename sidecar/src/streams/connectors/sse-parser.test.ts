import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser';

const enc = (s: string) => new TextEncoder().encode(s);

describe('SseParser', () => {
  it('dispatches on blank lines, joins data lines and keeps the last id across events', () => {
    const p = new SseParser();
    const out = p.push(enc('retry: 1500\nid: 7\nevent: order\ndata: {"a":1}\ndata: x\n\n: comment\ndata: second\n\n'));
    expect(out).toEqual([
      { id: '7', type: 'order', data: '{"a":1}\nx' },
      { id: '7', type: 'message', data: 'second' },
    ]);
    expect(p.retryMs).toBe(1500);
  });

  it('handles CRLF and CR split across chunks, and UTF-8 split mid-character', () => {
    const p = new SseParser();
    const bytes = enc('id: é1\r\ndata: ünï\r\r');
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(...p.push(bytes.subarray(i, i + 1)));
    expect(out).toEqual([{ id: 'é1', type: 'message', data: 'ünï' }]);
    // The CR that ended the chunk was a line end on its own: an LF after it is not another blank line.
    expect(p.push(enc('\ndata: z\n\n'))).toEqual([{ id: 'é1', type: 'message', data: 'z' }]);
  });

  it('ignores an id holding NUL, keeps an id from an event without data, and a field without a colon', () => {
    const p = new SseParser();
    expect(p.push(enc('id: 1\n\nid: a\0b\ndata\n\n'))).toEqual([{ id: '1', type: 'message', data: '' }]);
  });
});
