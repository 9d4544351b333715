import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface ResolvedToken {
  token: string;
  /** True only the first time, when the token was just created and must be shown once. */
  generated: boolean;
  path: string | null;
}

/** SIDECAR_TOKEN if set; else the token stored in DATA_DIR; else a new one stored there (0600). */
export function resolveToken(envToken: string | undefined, dataDir: string): ResolvedToken {
  if (envToken) return { token: envToken, generated: false, path: null };
  const dir = resolve(dataDir);
  const path = join(dir, 'sidecar-token');
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), generated: false, path };
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, path };
}
