import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';
import type { StreamConfig } from './store';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The token from `Authorization: Bearer …`, else `?token=` (browsers' EventSource cannot set headers). */
export function presentedToken(req: IncomingMessage, query: { token?: string }): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]!.trim() : (query.token ?? null);
}

/**
 * Whether a token's hash is one of the stream's unexpired hashes. Every listed hash is compared
 * in constant time (no early exit), so timing tells nothing about which or how many match.
 */
export function tokenValid(cfg: StreamConfig, tokenHash: string, now = Date.now()): boolean {
  const presented = Buffer.from(tokenHash, 'hex');
  let ok = false;
  for (const t of cfg.token_hashes) {
    const match = timingSafeEqual(Buffer.from(t.hash, 'hex'), presented);
    if (match && (t.expires_at === null || Date.parse(t.expires_at) > now)) ok = true;
  }
  return ok;
}

/** The hash of a valid token, or 401 `stream_token_invalid` (the same for missing, wrong, revoked and expired). */
export function authenticate(cfg: StreamConfig | null, token: string | null): string {
  const h = token ? hashToken(token) : null;
  if (!cfg || !h || !tokenValid(cfg, h)) throw new AppError('stream_token_invalid');
  return h;
}

/**
 * CORS for a browser subscriber: its Origin must be listed (or `*`). No Origin (a server-side
 * client) is always allowed: tokens, not origins, are the access control.
 */
export function originAllowed(cfg: StreamConfig, origin: string | undefined): boolean {
  return origin === undefined || cfg.cors_origins.includes('*') || cfg.cors_origins.includes(origin);
}
