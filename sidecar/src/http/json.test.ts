import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, JsonTooDeepError, MAX_JSON_DEPTH, OverDeepItem, parseJsonBody } from './json';

const nest = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
const parse = (s: string, batches = false) => parseJsonBody(Buffer.from(s), { batches });

describe('parseJsonBody', () => {
  it('accepts exactly MAX_JSON_DEPTH levels and refuses one more', () => {
    expect(() => parse(nest(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parse(nest(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(() => parse(`{"a":${nest(MAX_JSON_DEPTH)}}`)).toThrow(JsonTooDeepError);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const tricky = JSON.stringify({ s: `"\\${'['.repeat(500)}`, t: '\\', u: '{'.repeat(500) });
    expect(parse(tricky)).toEqual(JSON.parse(tricky));
  });

  it('refuses a document far deeper than the stack allows without overflowing', () => {
    expect(() => parse(nest(200_000))).toThrow(JsonTooDeepError);
  });

  it('in a batch, replaces just the over-deep item, keeping its id', () => {
    const body = `{"messages":[{"id":"a","payload":1},{"id":"deep","payload":${nest(5000)}},{"id":"c","payload":"[["}],"n":1}`;
    const v = parse(body, true) as { messages: unknown[]; n: number };
    expect(v.messages[0]).toEqual({ id: 'a', payload: 1 });
    expect(v.messages[1]).toBeInstanceOf(OverDeepItem);
    expect((v.messages[1] as OverDeepItem).id).toBe('deep');
    expect(v.messages[2]).toEqual({ id: 'c', payload: '[[' });
    expect(v.n).toBe(1);
  });

  it('in a batch, measures each item from itself: MAX_JSON_DEPTH levels per item pass', () => {
    const v = parse(`{"ids":[${nest(MAX_JSON_DEPTH)}, ${nest(MAX_JSON_DEPTH + 1)}]}`, true) as { ids: unknown[] };
    expect(v.ids[0]).not.toBeInstanceOf(OverDeepItem);
    expect(v.ids[1]).toBeInstanceOf(OverDeepItem);
  });

  it('outside batch items the bound is absolute', () => {
    expect(() => parse(`{"a":{"b":${nest(MAX_JSON_DEPTH)}}}`, true)).toThrow(JsonTooDeepError);
    expect(() => parse(nest(MAX_JSON_DEPTH + 1), true)).toThrow(JsonTooDeepError);
  });

  it('reports malformed JSON as a syntax error', () => {
    expect(() => parse('{"a":')).toThrow(JsonSyntaxError);
    expect(() => parse('"unterminated')).toThrow(JsonSyntaxError);
  });
});
