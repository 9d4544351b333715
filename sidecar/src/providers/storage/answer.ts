import { ProviderFailedError, ProviderRejectedError } from '../errors';
import { text } from './xml';

/**
 * A storage API's non-2xx answer as the typed provider error (4xx rejected, else failed), with
 * the provider's own error code from its XML (`<Code>` on S3 and Azure) or JSON (GCS) body.
 */
export function storageError(provider: string, status: number, body: Buffer | string, what: string): ProviderRejectedError | ProviderFailedError {
  const s = typeof body === 'string' ? body : body.toString('utf8', 0, 4096);
  let code = text(s, 'Code') ?? undefined;
  let message = text(s, 'Message') ?? undefined;
  if (!code && s.startsWith('{')) {
    try {
      const e = (JSON.parse(s) as { error?: { message?: string; status?: string; code?: number } }).error;
      code = e?.status ?? (e?.code !== undefined ? String(e.code) : undefined);
      message = e?.message;
    } catch {
      // not JSON after all: the status says enough
    }
  }
  const details = { provider, status, ...(code ? { provider_code: code } : {}) };
  const msg = `${provider}: ${what}: ${message ?? code ?? `answered ${status}`}`.slice(0, 500);
  return status >= 400 && status < 500 ? new ProviderRejectedError(msg, details) : new ProviderFailedError(msg, details);
}

/** Throws {@link storageError} unless the status is 2xx (or one of `also`). */
export function expectStatus(provider: string, res: { status: number; body: Buffer | string }, what: string, also: number[] = []): void {
  if ((res.status >= 200 && res.status < 300) || also.includes(res.status)) return;
  throw storageError(provider, res.status, res.body, what);
}
