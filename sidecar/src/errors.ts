/**
 * The one error catalogue. Every error a client can see has a stable code and one HTTP
 * status; `sidecar/README.md` lists the same table and a test keeps both in step.
 */
export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, message: 'The request is invalid.' },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  oauth_state_invalid: { status: 400, message: 'The OAuth state is unknown, used, expired or belongs to another user.' },
  unauthenticated: { status: 401, message: 'A valid bearer token is required.' },
  signature_invalid: { status: 401, message: 'The webhook signature could not be verified.' },
  stream_token_invalid: { status: 401, message: 'The stream token is missing, wrong, revoked or expired.' },
  origin_not_allowed: { status: 403, message: 'The request\'s Origin is not allowed for this stream.' },
  not_found: { status: 404, message: 'Not found.' },
  sync_profile_not_found: { status: 404, message: 'The sidecar has no such sync profile, and Frappe has none to give it.' },
  sync_record_not_found: { status: 404, message: 'The sync profile has no such record: no Sync Log row, and neither side holds it.' },
  request_timeout: { status: 408, message: 'The body was not received in time.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  connection_disabled: { status: 409, message: 'The connection is disabled.' },
  not_connected: { status: 409, message: 'The connection has no account connected yet.' },
  profile_disabled: { status: 409, message: 'The sync profile is disabled.' },
  conflict_already_resolved: { status: 409, message: 'The record is not in conflict: it was resolved already (or never was).' },
  connection_expired: { status: 409, message: 'The connection\'s authorization has expired or was revoked: reconnect it.' },
  provider_unset: { status: 409, message: 'The connection names no provider whose operations can be called.' },
  payload_too_large: { status: 413, message: 'The body is too large.' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type.' },
  provider_rejected: { status: 422, message: 'The provider refused the request.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  internal: { status: 500, message: 'Internal error.' },
  secrets_unreadable: { status: 500, message: 'A stored secret cannot be decrypted with this sidecar\'s key ring.' },
  upstream_error: { status: 502, message: 'The third-party API could not be reached.' },
  provider_error: { status: 502, message: 'The provider failed to carry out the request.' },
  response_too_large: { status: 502, message: 'The third-party API\'s response is larger than the connection allows.' },
  oauth_error: { status: 502, message: 'The OAuth token endpoint refused or failed the request.' },
  unavailable: { status: 503, message: 'A dependency is unavailable.' },
  circuit_open: { status: 503, message: 'The connection\'s circuit breaker is open after repeated failures.' },
  timeout: { status: 504, message: 'The third-party API did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    /** Seconds for a Retry-After header (429/503). */
    readonly retryAfterS?: number,
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.status = ERROR_CATALOGUE[code].status;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found.`);

export function errorBody(err: AppError) {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
}
