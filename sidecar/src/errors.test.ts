import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CATALOGUE, errorBody } from './errors';

describe('error catalogue', () => {
  it('matches the table in sidecar/README.md, code for code and status for status', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Errors')[1]!.split('\n## ')[0]!;
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, e.status]);
    expect(rows).toEqual(catalogue);
  });

  it('renders details only when present', () => {
    expect(errorBody(new AppError('not_found'))).toEqual({ error: { code: 'not_found', message: 'Not found.' } });
    expect(errorBody(new AppError('invalid_request', 'bad', [{ path: 'x' }])).error.details).toEqual([{ path: 'x' }]);
  });
});
