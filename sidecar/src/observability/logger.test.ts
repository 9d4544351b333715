import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

describe('logger', () => {
  it('redacts secrets wherever a careless caller puts them', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const log = createLogger('info', sink);
    log.info({ token: 'tok-1', endpoint: { secrets: ['whsec_abc'], secret: 's3' }, req: { headers: { authorization: 'Bearer b-2' } } }, 'x');
    log.info({ config: { SIDECAR_TOKEN: 'side-3', FRAPPE_API_SECRET: 'fr-4' } }, 'y');
    const all = lines.join('');
    for (const s of ['tok-1', 'whsec_abc', 's3', 'b-2', 'side-3', 'fr-4']) expect(all).not.toContain(s);
    expect(all).toContain('[redacted]');
  });
});
