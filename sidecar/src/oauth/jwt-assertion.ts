import { sign } from 'node:crypto';
import type { GoogleServiceAccountConfig } from '../connections/schemas';

/**
 * The service-account assertion of Google's server-to-server flow (RFC 7523 §2.1, Google's
 * "Using OAuth 2.0 for Server to Server Applications"): a JWT signed RS256 with the account's
 * private key, `iss` the account, `aud` the token endpoint it is sent to (so an assertion
 * cannot be replayed at another), valid for one hour — Google's maximum.
 */

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google refuses assertions valid for longer. */
export const ASSERTION_LIFETIME_S = 3600;

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function serviceAccountAssertion(auth: GoogleServiceAccountConfig, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(auth.private_key_id ? { kid: auth.private_key_id } : {}) };
  const claims = {
    iss: auth.client_email,
    scope: auth.scopes.join(' '),
    aud: auth.token_uri,
    iat,
    exp: iat + ASSERTION_LIFETIME_S,
    ...(auth.subject ? { sub: auth.subject } : {}),
  };
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), auth.private_key).toString('base64url')}`;
}
