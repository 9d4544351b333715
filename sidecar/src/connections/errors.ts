import { AppError } from '../errors';

/**
 * Why a proxied call was stopped, one class per cause, each with its catalogue code; the
 * proxy's callers (Frappe's `connections.call`) branch on `error.code`. Messages name the
 * connection and the cause, never a credential, token or the upstream's body.
 */

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The connection's own rate limit (shared by every process) has no slot within `max_wait_ms`. */
export class RateLimitedError extends AppError {
  override name = 'RateLimitedError';
  constructor(id: string, retryAfterMs: number) {
    super('rate_limited', `Connection ${id} is at its rate limit.`, { retry_after_ms: Math.ceil(retryAfterMs) }, seconds(retryAfterMs));
  }
}

export class CircuitOpenError extends AppError {
  override name = 'CircuitOpenError';
  constructor(id: string, retryAfterMs: number) {
    super('circuit_open', `Connection ${id} failed repeatedly; calls resume after a probe in ${seconds(retryAfterMs)} s.`, { retry_after_ms: Math.ceil(retryAfterMs) }, seconds(retryAfterMs));
  }
}

export class CallTimeoutError extends AppError {
  override name = 'CallTimeoutError';
  constructor(id: string, timeoutMs: number, attempts: number) {
    super('timeout', `Connection ${id}: no response within ${timeoutMs} ms.`, { timeout_ms: timeoutMs, attempts });
  }
}

/** Network failure (connect, reset, DNS) or a refused destination (SSRF guard). */
export class UpstreamError extends AppError {
  override name = 'UpstreamError';
  constructor(id: string, readonly kind: string, detail: string, attempts: number) {
    super('upstream_error', `Connection ${id}: ${detail}`, { kind, attempts });
  }
}

export class ResponseTooLargeError extends AppError {
  override name = 'ResponseTooLargeError';
  constructor(id: string, status: number, cap: number) {
    super('response_too_large', `Connection ${id}: the response (status ${status}) is over ${cap} bytes.`, { status, max_response_bytes: cap });
  }
}

export class ConnectionDisabledError extends AppError {
  override name = 'ConnectionDisabledError';
  constructor(id: string) {
    super('connection_disabled', `Connection ${id} is disabled.`);
  }
}

export class NotConnectedError extends AppError {
  override name = 'NotConnectedError';
  constructor(id: string) {
    super('not_connected', `Connection ${id} has no account connected: start the OAuth flow first.`);
  }
}

export class ConnectionExpiredError extends AppError {
  override name = 'ConnectionExpiredError';
  constructor(id: string, reason: string) {
    super('connection_expired', `Connection ${id} needs to be reconnected: ${reason}`);
  }
}

/** The token endpoint failed (unreachable, 5xx, or an OAuth error other than invalid_grant). */
export class OAuthError extends AppError {
  override name = 'OAuthError';
  constructor(
    id: string,
    message: string,
    readonly oauthError: string | null,
    readonly retryable: boolean,
  ) {
    super('oauth_error', `Connection ${id}: ${message}`, oauthError ? { error: oauthError } : undefined);
  }
}

export class OAuthStateError extends AppError {
  override name = 'OAuthStateError';
  constructor(reason: string) {
    super('oauth_state_invalid', `OAuth state rejected: ${reason}.`);
  }
}
