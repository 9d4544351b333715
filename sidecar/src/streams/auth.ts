import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';
import type { TokenFilter } from './schemas';
import type { StreamConfig } from './store';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The token from `Authorization: Bearer …`, else `?token=` (browsers' EventSource cannot set headers). */
export function presentedToken(req: IncomingMessage, query: { token?: string }): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]!.trim() : (query.token ?? null);
}

/**
 * The stream's unexpired entry for a token's hash, or null. Every listed hash is compared in
 * constant time (no early exit), so timing tells nothing about which or how many match.
 */
export function validToken(cfg: StreamConfig, tokenHash: string, now = Date.now()): StreamConfig['token_hashes'][number] | null {
  const presented = Buffer.from(tokenHash, 'hex');
  let found: StreamConfig['token_hashes'][number] | null = null;
  for (const t of cfg.token_hashes) {
    const match = timingSafeEqual(Buffer.from(t.hash, 'hex'), presented);
    if (match && (t.expires_at === null || Date.parse(t.expires_at) > now)) found = t;
  }
  return found;
}

export interface Credential {
  tokenHash: string;
  /** What the token may see; null: every event. */
  filter: TokenFilter | null;
}

/** The valid token's hash and filter, or 401 `stream_token_invalid` (the same for missing, wrong, revoked and expired). */
export function authenticate(cfg: StreamConfig | null, token: string | null): Credential {
  const h = token ? hashToken(token) : null;
  const entry = cfg && h ? validToken(cfg, h) : null;
  if (!entry) throw new AppError('stream_token_invalid');
  return { tokenHash: entry.hash, filter: entry.filter ?? null };
}

/**
 * CORS for a browser subscriber: its Origin must be listed (or `*`). No Origin (a server-side
 * client) is always allowed: tokens, not origins, are the access control.
 */
export function originAllowed(cfg: StreamConfig, origin: string | undefined): boolean {
  return origin === undefined || cfg.cors_origins.includes('*') || cfg.cors_origins.includes(origin);
}
