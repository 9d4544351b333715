import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config';
import { SecretsConfigError } from './errors';
import { KeyRing, newKeyEntry, parseKeyList } from './keyring';

export interface LoadedKeyRing {
  ring: KeyRing;
  source: 'SECRETS_KEYS' | 'SECRETS_KEY_FILE' | 'DATA_DIR';
  /** The key file (null when the keys came from the environment). */
  path: string | null;
  /** True only when the file was just created. */
  generated: boolean;
}

/** The file a sidecar generates (and `keys:add` extends) when neither variable is set. */
export const defaultKeyFile = (dataDir: string) => join(resolve(dataDir), 'secrets-keys');

/**
 * The key ring from SECRETS_KEYS, else SECRETS_KEY_FILE, else `DATA_DIR/secrets-keys` (created
 * with one random key, mode 0600, on first start). Never from Redis: whoever can read Redis must
 * not be able to read the secrets in it. A key file readable by group or others is refused.
 */
export function loadKeyRing(config: Pick<Config, 'secretsKeys' | 'SECRETS_KEY_FILE' | 'DATA_DIR'>): LoadedKeyRing {
  if (config.secretsKeys) return { ring: new KeyRing([...config.secretsKeys]), source: 'SECRETS_KEYS', path: null, generated: false };
  const explicit = config.SECRETS_KEY_FILE;
  const path = explicit ? resolve(explicit) : defaultKeyFile(config.DATA_DIR);
  let generated = false;
  if (!existsSync(path)) {
    if (explicit) throw new SecretsConfigError(`SECRETS_KEY_FILE ${path} does not exist`);
    mkdirSync(resolve(config.DATA_DIR), { recursive: true });
    try {
      writeFileSync(path, `# integrations sidecar key ring: id:base64, newest last. Back it up; never put it in Redis.\n${newKeyEntry('k1')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      generated = true;
    } catch (err) {
      // Two processes sharing DATA_DIR started together: the other one wrote it; use that.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new SecretsConfigError(`key file ${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it`);
  return {
    ring: new KeyRing(parseKeyList(readFileSync(path, 'utf8'), path)),
    source: explicit ? 'SECRETS_KEY_FILE' : 'DATA_DIR',
    path,
    generated,
  };
}
