import type { ProxyResult } from '../connections/proxy';
import { ProviderFailedError, ProviderRejectedError, type ProviderErrorDetails } from './errors';

/** A provider's error body reduced to what a caller can act on. */
export interface ProviderFault {
  message: string;
  code?: string;
  extra?: Record<string, unknown>;
}

/** The body as JSON, or undefined when it is not (an HTML error page, an empty 204). */
export function jsonBody(res: ProxyResult): unknown {
  if (res.body_encoding !== 'utf8' || res.body === '') return undefined;
  try {
    return JSON.parse(res.body);
  } catch {
    return undefined;
  }
}

/**
 * A 2xx answer's JSON, or the provider's error as a typed error: 4xx → `provider_rejected`
 * (the request itself is wrong; retrying will not help), anything else (429 included) → `provider_error`.
 * `fault` reads the provider's documented error shape; its message is the provider's own.
 */
export function expectOk(provider: string, res: ProxyResult, fault: (body: unknown) => ProviderFault | undefined): unknown {
  const body = jsonBody(res);
  if (res.status >= 200 && res.status < 300) return body;
  const f = fault(body) ?? { message: `answered ${res.status}` };
  const details: ProviderErrorDetails = { provider, status: res.status, ...(f.code ? { provider_code: f.code } : {}), ...f.extra };
  // 429 is the one 4xx where the same request can succeed later: a failure, not a rejection.
  if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new ProviderRejectedError(`${provider}: ${f.message}`, details);
  throw new ProviderFailedError(`${provider}: ${f.message}`, details);
}
