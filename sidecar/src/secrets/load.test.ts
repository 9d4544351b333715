import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { SecretsConfigError } from './errors';
import { newKeyEntry } from './keyring';
import { loadKeyRing } from './load';

const dir = () => mkdtempSync(join(tmpdir(), 'ia-keys-'));

describe('loadKeyRing', () => {
  it('generates DATA_DIR/secrets-keys once (0600) and reuses it', () => {
    const d = dir();
    const first = loadKeyRing(loadConfig({ DATA_DIR: d }));
    expect(first).toMatchObject({ source: 'DATA_DIR', generated: true, path: join(d, 'secrets-keys') });
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    const sealed = first.ring.seal('v', 'c');
    const again = loadKeyRing(loadConfig({ DATA_DIR: d }));
    expect(again.generated).toBe(false);
    expect(again.ring.open(sealed, 'c')).toBe('v');
  });

  it('refuses a key file others can read, and a SECRETS_KEY_FILE that is missing', () => {
    const d = dir();
    const path = join(d, 'keys');
    writeFileSync(path, `${newKeyEntry('k1')}\n`, { mode: 0o644 });
    chmodSync(path, 0o644);
    expect(() => loadKeyRing(loadConfig({ SECRETS_KEY_FILE: path }))).toThrow(/chmod 600/);
    chmodSync(path, 0o600);
    expect(loadKeyRing(loadConfig({ SECRETS_KEY_FILE: path })).ring.currentId).toBe('k1');
    expect(() => loadKeyRing(loadConfig({ SECRETS_KEY_FILE: join(d, 'none') }))).toThrow(SecretsConfigError);
  });

  it('prefers SECRETS_KEYS and never writes a file for it', () => {
    const d = dir();
    const loaded = loadKeyRing(loadConfig({ DATA_DIR: d, SECRETS_KEYS: `${newKeyEntry('a')},${newKeyEntry('b')}` }));
    expect(loaded).toMatchObject({ source: 'SECRETS_KEYS', path: null });
    expect(loaded.ring.currentId).toBe('b');
    expect(() => readFileSync(join(d, 'secrets-keys'))).toThrow();
  });
});
