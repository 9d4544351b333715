import { describe, expect, it } from 'vitest';
import { redactSnippet } from './redact';

describe('redactSnippet', () => {
  it('replaces the connection\'s own secrets wherever they appear, also escaped', () => {
    const key = 'sk_live_a/b+c"d';
    const text = `bad key ${key} or ${encodeURIComponent(key)} in ${JSON.stringify({ k: key })}`;
    const out = redactSnippet(text, [key]);
    expect(out).not.toContain('sk_live_a');
    expect(out.match(/\[redacted\]/g)).toHaveLength(3);
  });

  it('hides token-like JSON fields, form fields and Authorization values it was not told about', () => {
    const out = redactSnippet('{"error":"x","access_token":"at-123\\"456","nested":{"client_secret":"cs"}} refresh_token=rt999&x=1 Authorization: Bearer abcdefghij.klm', []);
    for (const leaked of ['at-123', 'cs"', 'rt999', 'abcdefghij']) expect(out).not.toContain(leaked);
    expect(out).toContain('"error":"x"');
    expect(out).toContain('x=1');
  });

  it('leaves ordinary text and too-short values alone', () => {
    expect(redactSnippet('{"error":"not_found","message":"no such refund"}', ['ab'])).toBe('{"error":"not_found","message":"no such refund"}');
  });
});
