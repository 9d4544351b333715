import { AppError } from '../errors';

/**
 * Why an operation failed although the provider was reached. Network, timeout, breaker and
 * rate-limit stops keep the proxy's own errors (connections/errors.ts).
 */

export interface ProviderErrorDetails {
  provider: string;
  /** The provider's HTTP status. */
  status: number;
  /** The provider's own error code or type (`card_declined`, `INVALID_REQUEST`…), when it gave one. */
  provider_code?: string;
  /** Extra machine-readable fields the provider gave (e.g. Stripe's `decline_code`, `param`). */
  [k: string]: unknown;
}

/** The provider refused the request (4xx): retrying the same request will not help. */
export class ProviderRejectedError extends AppError {
  override name = 'ProviderRejectedError';
  constructor(message: string, details: ProviderErrorDetails) {
    super('provider_rejected', message, details);
  }
}

/** The provider failed (5xx after the policy's retries, or an answer that is not its documented shape). */
export class ProviderFailedError extends AppError {
  override name = 'ProviderFailedError';
  constructor(message: string, details: ProviderErrorDetails) {
    super('provider_error', message, details);
  }
}

/** The connection has no provider, or one this sidecar does not know. */
export class ProviderUnsetError extends AppError {
  override name = 'ProviderUnsetError';
  constructor(id: string) {
    super('provider_unset', `Connection ${id} names no provider this sidecar knows: set its provider to call operations.`);
  }
}
