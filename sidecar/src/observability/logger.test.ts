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

  it('redacts the command arguments ioredis attaches to its errors', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const log = createLogger('info', sink);
    const err = Object.assign(new Error('ERR wrong number of arguments'), {
      command: { name: 'hset', args: ['ia:dl:ep:x', 'cfg', '{"secrets":["whsec_leaked"]}'] },
    });
    log.error({ err, method: 'PUT', path: '/v1/endpoints/x' }, 'unhandled error');
    const line = JSON.parse(lines.join('')) as { err: { message: string; command: { name: string; args: unknown } } };
    expect(lines.join('')).not.toContain('whsec_leaked');
    expect(line.err.message).toBe('ERR wrong number of arguments');
    expect(line.err.command).toEqual({ name: 'hset', args: '[redacted]' });
  });
});
