import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { ProviderName } from '../providers/schemas';

/**
 * Inputs of the connections API (`.strict()`: a misspelt field is a 400). The auth part is a
 * union on `type`; the fields listed in {@link SECRET_FIELDS} are sealed at rest and never
 * returned.
 */

/** Connection ids: safe in Redis keys, URLs, logs and metric labels. */
export const ConnectionId = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'use 1–128 of A–Z a–z 0–9 _ . -');

export const HttpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.password && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials or fragment');

const Secret = z.string().min(1).max(8192).regex(/^[^\r\n]*$/, 'no line breaks');
export const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'not a header name');
const HeaderValue = z.string().max(8192).regex(/^[^\r\n]*$/, 'no line breaks');
const Params = z.record(z.string().min(1).max(128), z.string().max(2048)).refine((p) => Object.keys(p).length <= 20, 'at most 20 parameters');
const Scopes = z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/, 'not a scope token')).max(100).default([]);

const ApiKeyAuth = z
  .object({
    type: z.literal('api_key'),
    /** Sent as a header or a query parameter. */
    in: z.enum(['header', 'query']).default('header'),
    name: z.string().min(1).max(64),
    value: Secret,
    /** Put before the value in a header, e.g. `Token `. */
    prefix: z.string().max(32).regex(/^[^\r\n]*$/).default(''),
  })
  .strict()
  .refine((a) => a.in === 'query' || HeaderName.safeParse(a.name).success, { path: ['name'], message: 'not a header name' });

const BearerAuth = z.object({ type: z.literal('bearer'), token: Secret }).strict();
const BasicAuth = z.object({ type: z.literal('basic'), username: z.string().min(1).max(256).regex(/^[^:\r\n]*$/, 'no colon'), password: Secret }).strict();

const OAuthFields = {
  token_url: HttpUrl,
  client_id: z.string().min(1).max(512),
  client_secret: Secret.optional(),
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
  client_auth: z.enum(['basic', 'post']).default('basic'),
  scopes: Scopes,
  /** Extra token-request parameters (e.g. `audience`, `resource`). */
  token_params: Params.default({}),
  /** Used when the provider omits `expires_in`. @defaultValue 3600 */
  default_token_lifetime_s: z.number().int().min(30).max(365 * 86400).default(3600),
  /** RFC 7009 revocation endpoint: Disconnect revokes the refresh token, then the access token. */
  revoke_url: HttpUrl.optional(),
  /** Refresh this long before expiry (capped at half the token's lifetime). @defaultValue 300 */
  refresh_margin_s: z.number().int().min(1).max(86400).default(300),
};

const ClientCredentialsAuth = z.object({ type: z.literal('oauth2_client_credentials'), ...OAuthFields }).strict();

const AuthorizationCodeAuth = z
  .object({
    type: z.literal('oauth2_authorization_code'),
    ...OAuthFields,
    authorize_url: HttpUrl,
    /** PKCE S256; on unless a provider cannot take it. @defaultValue true */
    pkce: z.boolean().default(true),
    authorize_params: Params.default({}),
  })
  .strict();

/** Every request signed with AWS Signature Version 4 (header form). */
const AwsSigV4Auth = z
  .object({
    type: z.literal('aws_sigv4'),
    access_key_id: z.string().regex(/^[A-Za-z0-9]{1,128}$/, 'letters and digits'),
    secret_access_key: Secret,
    /** Temporary credentials (STS) also carry a session token, sent as `x-amz-security-token`. */
    session_token: Secret.optional(),
    /** e.g. `eu-west-1`; `us-east-1` for global services such as IAM. */
    region: z.string().regex(/^[a-z0-9-]{1,32}$/, 'an AWS region name'),
    /** The signing name, e.g. `s3`, `execute-api`, `dynamodb`; `s3` changes the path rule and adds `x-amz-content-sha256`. */
    service: z.string().regex(/^[a-z0-9-]{1,64}$/, 'an AWS service signing name'),
  })
  .strict();

const Email = z.string().max(320).regex(/^[^@\s]+@[^@\s]+$/, 'an email address');

/** A PEM private key Node can read, RSA (Google signs service-account assertions with RS256). */
const RsaPrivateKeyPem = z
  .string()
  .max(16_384)
  .refine((pem) => {
    try {
      return createPrivateKey(pem).asymmetricKeyType === 'rsa';
    } catch {
      return false;
    }
  }, 'must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)');

/**
 * Google service account (RFC 7523 JWT bearer grant): an RS256 assertion signed with the
 * account's key is exchanged at `token_uri` for an access token, sent as `Bearer`.
 */
const GoogleServiceAccountAuth = z
  .object({
    type: z.literal('google_service_account'),
    client_email: Email,
    private_key: RsaPrivateKeyPem,
    /** The key file's `private_key_id`, sent as the assertion's `kid`. */
    private_key_id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).optional(),
    /** @defaultValue https://oauth2.googleapis.com/token */
    token_uri: HttpUrl.default('https://oauth2.googleapis.com/token'),
    scopes: Scopes.refine((s) => s.length > 0, 'at least one scope'),
    /** Domain-wide delegation: the user the account acts as (`sub`). */
    subject: Email.optional(),
    /** Fetch a new token this long before expiry (capped at half the token's lifetime). @defaultValue 300 */
    refresh_margin_s: z.number().int().min(1).max(86400).default(300),
  })
  .strict();

/** Azure Storage Shared Key: every request signed with the storage account's key (`Authorization: SharedKey`). */
const AzureSharedKeyAuth = z
  .object({
    type: z.literal('azure_shared_key'),
    /** The storage account name (`devstoreaccount1` on azurite). */
    account: z.string().regex(/^[a-z0-9]{3,24}$/, 'a storage account name: 3–24 lower-case letters and digits'),
    /** One of the account's two access keys, base64 as the portal shows it. */
    key: Secret.refine((k) => /^[A-Za-z0-9+/]+={0,2}$/.test(k) && Buffer.from(k, 'base64').length >= 16, 'the account key in base64'),
  })
  .strict();

export const Auth = z.discriminatedUnion('type', [ApiKeyAuth, BearerAuth, BasicAuth, ClientCredentialsAuth, AuthorizationCodeAuth, AwsSigV4Auth, GoogleServiceAccountAuth, AzureSharedKeyAuth]);
export type Auth = z.infer<typeof Auth>;
export type OAuthConfig = Extract<Auth, { type: 'oauth2_client_credentials' | 'oauth2_authorization_code' }>;
export const isOAuth = (a: Auth): a is OAuthConfig => a.type === 'oauth2_client_credentials' || a.type === 'oauth2_authorization_code';
export type GoogleServiceAccountConfig = Extract<Auth, { type: 'google_service_account' }>;
/** Auth whose calls carry an access token obtained (and renewed) at a token endpoint. */
export type TokenAuth = OAuthConfig | GoogleServiceAccountConfig;
export const usesTokens = (a: Auth): a is TokenAuth => isOAuth(a) || a.type === 'google_service_account';

/** Per auth type, the fields that are secrets: sealed at rest, shown as `[redacted]`. */
export const SECRET_FIELDS: Record<Auth['type'], readonly string[]> = {
  api_key: ['value'],
  bearer: ['token'],
  basic: ['password'],
  oauth2_client_credentials: ['client_secret'],
  oauth2_authorization_code: ['client_secret'],
  aws_sigv4: ['secret_access_key', 'session_token'],
  google_service_account: ['private_key'],
  azure_shared_key: ['key'],
};

/** Tokens as Frappe keeps them (its recovery copy, pushed back after a Redis loss). */
export const TokensInput = z
  .object({
    access_token: Secret,
    refresh_token: Secret.nullable().default(null),
    token_type: z.string().max(64).default('Bearer'),
    scope: z.string().max(4096).nullable().default(null),
    expires_at: z.iso.datetime({ offset: true }).nullable(),
    obtained_at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type TokensInput = z.infer<typeof TokensInput>;

/** Headers the proxy sets or that belong to the hop; neither config nor callers may set them. */
export const RESERVED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-connection']);

export const ConnectionInput = z
  .object({
    base_url: HttpUrl,
    auth: Auth,
    /** Sent with every call (e.g. `Stripe-Version`); sealed at rest like credentials. */
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 30, 'at most 30 headers')
      .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), 'a reserved header cannot be set')
      .default({}),
    /** Calls per second across every sidecar process (GCRA); null = unlimited. */
    rate_limit_per_s: z.number().positive().max(100_000).nullable().default(null),
    /** Calls allowed back to back before the spacing applies. @defaultValue 1 */
    rate_limit_burst: z.number().int().min(1).max(10_000).default(1),
    /** Per attempt: connect, headers and body. @defaultValue 30000 */
    timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
    /** Attempts per call, first included (retries only where the policy allows). @defaultValue 3 */
    max_attempts: z.number().int().min(1).max(10).default(3),
    /** The longest the sidecar waits for a retry or a rate-limit slot; longer ⇒ the answer or error now. @defaultValue 30000 */
    max_wait_ms: z.number().int().min(0).max(300_000).default(30_000),
    /** Response bytes passed back; more is `response_too_large`. @defaultValue 5 MiB */
    max_response_bytes: z.number().int().min(1024).max(20 * 1024 * 1024).default(5 * 1024 * 1024),
    breaker: z
      .object({
        /** Consecutive failed attempts (network error, timeout, 5xx) that open the circuit. @defaultValue 5 */
        failure_threshold: z.number().int().min(1).max(1000).default(5),
        /** Open for this long, then one probe. @defaultValue 30 */
        cooldown_s: z.number().min(0.05).max(3600).default(30),
      })
      .strict()
      .default({ failure_threshold: 5, cooldown_s: 30 }),
    enabled: z.boolean().default(true),
    sandbox: z.boolean().default(false),
    /** The typed client `POST /v1/connections/{id}/call` runs operations of (`GET /v1/providers`); null = proxy only. */
    provider: ProviderName.nullable().default(null),
    /** OAuth only: Frappe's copy of the tokens (kept unless the sidecar holds newer ones). */
    tokens: TokensInput.nullable().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tokens && !isOAuth(c.auth)) ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'only OAuth connections have tokens' });
    const auth = c.auth;
    if (isOAuth(auth) && auth.client_auth === 'basic' && auth.client_secret === undefined && auth.type === 'oauth2_client_credentials') {
      ctx.addIssue({ code: 'custom', path: ['auth', 'client_secret'], message: 'client credentials need a client secret' });
    }
  });
export type ConnectionInput = z.infer<typeof ConnectionInput>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

export const ProxyBody = z
  .object({
    method: z.enum(METHODS),
    /** Appended to the base URL's path; `/`-rooted, no `?`, `#`, `..` segments or `//`. */
    path: z
      .string()
      .min(1)
      .max(4096)
      .regex(/^\/[^?#\s\\]*$/, 'must start with / and hold no ?, #, whitespace or backslash')
      .refine((p) => !p.startsWith('//') && !p.split('/').some((seg) => seg === '..' || seg === '.' || /^%2e%2e?$/i.test(seg) || seg === '.%2e' || seg === '%2e.'), 'no dot segments or leading //'),
    query: z.record(z.string().min(1).max(256), z.union([z.string().max(4096), z.array(z.string().max(4096)).max(100)])).optional(),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers')
      .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), 'a reserved header cannot be set')
      .optional(),
    /** JSON value (sent as JSON), or a string sent as it is when `headers` set a content-type. */
    body: z.unknown().optional(),
    /** `base64`: `body` is a base64 string sent as the bytes it encodes (binary multipart, files). @defaultValue utf8 */
    body_encoding: z.enum(['utf8', 'base64']).optional(),
    /** Makes a POST/PATCH retryable; sent as `Idempotency-Key` unless `idempotency_header` names another. */
    idempotency_key: z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII').optional(),
    idempotency_header: HeaderName.optional(),
    /** Per-call override of the connection's per-attempt timeout. */
    timeout_ms: z.number().int().min(100).max(300_000).optional(),
  })
  .strict()
  .refine((b) => !(b.body !== undefined && (b.method === 'GET' || b.method === 'HEAD')), { path: ['body'], message: 'GET and HEAD take no body' })
  .refine((b) => b.body_encoding !== 'base64' || (typeof b.body === 'string' && b.headers !== undefined && Object.keys(b.headers).some((k) => k.toLowerCase() === 'content-type')), {
    path: ['body_encoding'],
    message: 'a base64 body is a string sent with a content-type header',
  });
export type ProxyBody = z.infer<typeof ProxyBody>;

export const OAuthStartBody = z
  .object({
    /** The Frappe user who clicked Connect; the callback must name the same user. */
    user: z.string().min(1).max(256),
    /** The site's public callback page the provider redirects to. */
    redirect_uri: HttpUrl,
  })
  .strict();

export const OAuthCallbackBody = z
  .object({
    state: z.string().min(16).max(256),
    user: z.string().min(1).max(256),
    code: z.string().min(1).max(4096).optional(),
    /** The provider's `error` redirect parameter (e.g. access_denied) instead of a code. */
    error: z.string().max(256).optional(),
    error_description: z.string().max(2048).optional(),
  })
  .strict()
  .refine((b) => (b.code === undefined) !== (b.error === undefined), 'exactly one of code and error');

/** `GET /v1/connections/{id}/stats?minutes=`: the window, up to the 180 minutes kept. @defaultValue 60 */
export const StatsQuery = z.object({ minutes: z.coerce.number().int().min(1).max(180).default(60) }).strict();

export const StatsLookupBody = z
  .object({
    ids: z.array(ConnectionId).min(1).max(500),
    minutes: z.number().int().min(1).max(180).default(60),
  })
  .strict();
