import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8787, HOST: '127.0.0.1', DATA_DIR: '.data', REDIS_PREFIX: 'ia', OUTBOUND_ALLOW_PRIVATE: false, OUTBOUND_ALLOW_HOSTS: [], LOG_LEVEL: 'info', frappe: null, realtime: null });
    expect(c.REDIS_URL).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses lists and booleans', () => {
    const c = loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'true', OUTBOUND_ALLOW_HOSTS: 'Hooks.Local, 10.0.0.5 ,' });
    expect(c.OUTBOUND_ALLOW_PRIVATE).toBe(true);
    expect(c.OUTBOUND_ALLOW_HOSTS).toEqual(['hooks.local', '10.0.0.5']);
  });

  it('groups the Frappe settings and requires them together', () => {
    const c = loadConfig({ FRAPPE_URL: 'http://site:8000/', FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's' });
    expect(c.frappe).toEqual({ url: 'http://site:8000', apiKey: 'k', apiSecret: 's' });
    expect(() => loadConfig({ FRAPPE_URL: 'http://site:8000' })).toThrow(ConfigError);
    expect(() => loadConfig({ FRAPPE_REDIS_URL: 'redis://x:1' })).toThrow(/FRAPPE_SITE/);
  });

  it('names every invalid variable and never echoes a token value', () => {
    let msg = '';
    try {
      loadConfig({ PORT: 'eighty', SIDECAR_TOKEN: 'short-secret', LOG_LEVEL: 'loud' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/PORT/);
    expect(msg).toMatch(/SIDECAR_TOKEN/);
    expect(msg).toMatch(/LOG_LEVEL/);
    expect(msg).not.toContain('short-secret');
  });

  it('matches the Environment table of sidecar/README.md, name for name and default for default', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = readme.split('## Environment')[1]!.split('\n## ')[0]!.split('\n').filter((l) => l.startsWith('| `'));
    const documented = rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...ENV_VARIABLES].sort());
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    for (const r of rows) {
      const [, name, dflt] = /^\| `([A-Z_]+)` \| `([^`]*)`/.exec(r) ?? [];
      if (name && ['number', 'string', 'boolean'].includes(typeof defaults[name])) expect(String(defaults[name]), name).toBe(dflt);
    }
  });
});
