import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactSnippet } from './redact';

/** Also read by the Python redaction's test (integrations_app/tests_pure/test_redact.py): one list, two implementations. */
const VECTORS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../test/vectors/redaction.json'), 'utf8')) as {
  cases: Array<{ name: string; input: string; output: string }>;
};

describe('redactSnippet', () => {
  it('replaces the connection\'s own secrets wherever they appear, also escaped', () => {
    const key = 'sk_live_a/b+c"d';
    const text = `bad key ${key} or ${encodeURIComponent(key)} in ${JSON.stringify({ k: key })}`;
    const out = redactSnippet(text, [key]);
    expect(out).not.toContain('sk_live_a');
    expect(out.match(/\[redacted\]/g)).toHaveLength(3);
  });

  it.each(VECTORS.cases)('hides by shape what it was not told about, as the Python redaction does: $name', ({ input, output }) => {
    expect(redactSnippet(input, [])).toBe(output);
  });

  it('leaves ordinary text and too-short values alone', () => {
    expect(redactSnippet('{"error":"not_found","message":"no such refund"}', ['ab'])).toBe('{"error":"not_found","message":"no such refund"}');
  });
});
