import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../config';
import { SecretsConfigError, SecretsUnreadableError } from './errors';
import { KeyRing, parseKeyList } from './keyring';

const key = (id: string) => ({ id, key: randomBytes(32) });

function unreadable(fn: () => unknown): SecretsUnreadableError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretsUnreadableError);
    return err as SecretsUnreadableError;
  }
  throw new Error('expected SecretsUnreadableError');
}

describe('KeyRing', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('seals under the newest key, with the key id in the value and no plaintext', () => {
    const ring = new KeyRing([k1, k2]);
    const sealed = ring.seal('sk_live_abc', 'cn:x');
    expect(sealed).toMatch(/^enc1\.k2\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('sk_live');
    expect(ring.open(sealed, 'cn:x')).toBe('sk_live_abc');
    expect(ring.seal('sk_live_abc', 'cn:x')).not.toBe(sealed);
  });

  it('reads what was written under key 1 after rotation to key 2, and marks it stale', () => {
    const old = new KeyRing([k1]).seal('whsec_old', 'ctx');
    const rotated = new KeyRing([k1, k2]);
    expect(rotated.open(old, 'ctx')).toBe('whsec_old');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.seal('x', 'ctx'))).toBe(false);
    expect(rotated.isStale('plain legacy value')).toBe(true);
  });

  it('a value under a key the ring lacks is a typed error naming the key, not garbage', () => {
    const sealed = new KeyRing([k1]).seal('secret', 'ctx');
    const err = unreadable(() => new KeyRing([k2]).open(sealed, 'ctx'));
    expect(err.reason).toBe('unknown_key');
    expect(err.keyId).toBe('k1');
    expect(err.code).toBe('secrets_unreadable');
    expect(err.message).toContain('"k1"');
    expect(err.message).not.toContain('secret"');
  });

  it('different key material under the same id, another context or a flipped byte fail authentication', () => {
    const sealed = new KeyRing([k1]).seal('secret', 'ctx');
    expect(unreadable(() => new KeyRing([{ id: 'k1', key: randomBytes(32) }]).open(sealed, 'ctx')).reason).toBe('authentication_failed');
    expect(unreadable(() => new KeyRing([k1]).open(sealed, 'other')).reason).toBe('authentication_failed');
    const body = sealed.slice('enc1.k1.'.length);
    const flipped = `enc1.k1.${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
    expect(unreadable(() => new KeyRing([k1]).open(flipped, 'ctx')).reason).toBe('authentication_failed');
    expect(unreadable(() => new KeyRing([k1]).open('enc1.k1.abc', 'ctx')).reason).toBe('malformed');
  });

  it('passes a plain legacy value through openOrPlain', () => {
    expect(new KeyRing([k1]).openOrPlain('whsec_plain', 'ctx')).toBe('whsec_plain');
  });
});

describe('key lists', () => {
  const b64 = randomBytes(32).toString('base64');

  it('parses id:base64 entries, newest last, from commas or lines', () => {
    expect(parseKeyList(`a:${b64}, b:${b64}`, 'x').map((k) => k.id)).toEqual(['a', 'b']);
    expect(parseKeyList(`# comment\na:${b64}\n\nb:${b64}\n`, 'x').map((k) => k.id)).toEqual(['a', 'b']);
  });

  it('refuses short keys, duplicate ids and bad ids without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseKeyList(`a:${short}`, 'x')).toThrow(SecretsConfigError);
    expect(() => parseKeyList(`a:${b64},a:${b64}`, 'x')).toThrow(/twice/);
    expect(() => parseKeyList(`bad id:${b64}`, 'x')).toThrow(/entry 1/);
    let msg = '';
    try {
      loadConfig({ SECRETS_KEYS: `k1:${short}` });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/SECRETS_KEYS/);
    expect(msg).not.toContain(short);
  });

  it('loads SECRETS_KEYS into the config and refuses it together with SECRETS_KEY_FILE', () => {
    expect(loadConfig({ SECRETS_KEYS: `k1:${b64}` }).secretsKeys?.map((k) => k.id)).toEqual(['k1']);
    expect(loadConfig({}).secretsKeys).toBeNull();
    expect(() => loadConfig({ SECRETS_KEYS: `k1:${b64}`, SECRETS_KEY_FILE: '/x' })).toThrow(/not both/);
  });
});
