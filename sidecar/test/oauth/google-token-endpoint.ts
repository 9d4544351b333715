import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { OAuth2Client } from 'google-auth-library';
import { listenLocal } from '../local-server';

/**
 * Google's OAuth 2 token endpoint for service accounts, on 127.0.0.1:0, speaking its wire
 * format (form POST `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`,
 * JSON `{access_token, expires_in, token_type}` or `{error, error_description}` with 400).
 * The assertion is verified by google-auth-library itself (`OAuth2Client`
 * `verifySignedJwtWithCertsAsync`: RS256 signature against the account's public key by `kid`,
 * `iat`/`exp` with Google's clock skew, issuer, audience), plus what that method leaves out:
 * `alg`, the one-hour cap, the scope and the subject. It also serves a protected API
 * (`/api/...`) that takes only the tokens it issued while they are valid.
 */

export interface ServiceAccountKey {
  clientEmail: string;
  keyId: string;
  publicKeyPem: string;
}

export interface TestGoogleTokenEndpoint {
  url: string;
  tokenUri: string;
  apiUrl: string;
  /** Lifetime of issued tokens; change between calls. */
  expiresInS: number;
  /** The scope claim an assertion must carry, and its `sub` (undefined: none). */
  scope: string;
  subject: string | undefined;
  /** Every POST to the token endpoint, verified or not. */
  tokenRequests: number;
  /** Claims of the assertions that passed verification, in order. */
  accepted: Array<Record<string, unknown>>;
  /** Why assertions were refused, in order (google-auth-library's messages). */
  refused: string[];
  apiCalls: { ok: number; rejected: number };
  close(): Promise<void>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export async function startGoogleTokenEndpoint(o: { accounts: ServiceAccountKey[]; scope: string; subject?: string; expiresInS?: number }): Promise<TestGoogleTokenEndpoint> {
  const verifier = new OAuth2Client();
  const certs = Object.fromEntries(o.accounts.map((a) => [a.keyId, a.publicKeyPem]));
  const issued = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy()));
  });
  const { url, close } = await listenLocal(server);
  const s: TestGoogleTokenEndpoint = {
    url,
    tokenUri: `${url}/token`,
    apiUrl: `${url}/api`,
    expiresInS: o.expiresInS ?? 3599,
    scope: o.scope,
    subject: o.subject,
    tokenRequests: 0,
    accepted: [],
    refused: [],
    apiCalls: { ok: 0, rejected: 0 },
    close,
  };
  const json = (res: ServerResponse, status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));

  async function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    if (req.url?.startsWith('/api/')) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const exp = m ? issued.get(m[1]!) : undefined;
      if (exp === undefined || exp <= Date.now()) {
        s.apiCalls.rejected++;
        return json(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
      }
      s.apiCalls.ok++;
      return json(res, 200, { path: req.url });
    }
    if (req.method !== 'POST' || new URL(req.url!, url).pathname !== '/token') return json(res, 404, { error: 'not_found' });
    s.tokenRequests++;
    const form = new URLSearchParams(body);
    if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) return json(res, 400, { error: 'invalid_request', error_description: 'form body expected' });
    if (form.get('grant_type') !== JWT_BEARER) return json(res, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type')}` });
    const refuse = (why: string, description: string) => {
      s.refused.push(why);
      json(res, 400, { error: 'invalid_grant', error_description: description });
    };
    let claims: Record<string, unknown>;
    let header: Record<string, unknown>;
    try {
      const ticket = await verifier.verifySignedJwtWithCertsAsync(form.get('assertion') ?? '', certs, s.tokenUri, o.accounts.map((a) => a.clientEmail), 3601);
      claims = ticket.getPayload() as unknown as Record<string, unknown>;
      // Typed as a string, but it is the parsed JOSE header (the library passes the JSON object).
      header = ticket.getEnvelope() as unknown as Record<string, unknown>;
    } catch (err) {
      const message = (err as Error).message;
      return refuse(message, /signature/i.test(message) ? 'Invalid JWT Signature.' : 'Invalid JWT: rejected.');
    }
    if (header.alg !== 'RS256') return refuse(`alg ${String(header.alg)}`, 'Invalid JWT: alg.');
    if (Number(claims.exp) - Number(claims.iat) > 3600) return refuse('lifetime over one hour', 'Invalid JWT: Token must be a short-lived token (60 minutes).');
    const account = o.accounts.find((a) => a.keyId === header.kid);
    if (claims.iss !== account?.clientEmail) return refuse('kid of another account', 'Invalid JWT Signature.');
    if (claims.scope !== s.scope) return refuse(`scope ${String(claims.scope)}`, 'Invalid OAuth scope or ID token audience provided.');
    if (claims.sub !== s.subject) return refuse(`sub ${String(claims.sub)}`, 'Invalid email or User ID');
    s.accepted.push(claims);
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    issued.set(token, Date.now() + s.expiresInS * 1000);
    json(res, 200, { access_token: token, expires_in: s.expiresInS, token_type: 'Bearer' });
  }
  return s;
}
