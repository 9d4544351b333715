import type { RuntimeEndpoint } from './endpoints';
import { signFrappe, signStandard } from './sign';

/** Sent with every delivery; receivers can allow-list or log it. */
export const USER_AGENT = 'integrations-app-sidecar/0.1';

export class NoActiveSecretError extends Error {
  override name = 'NoActiveSecretError';
}

export interface DeliveryRequest {
  headers: Record<string, string>;
  /** The same headers for reports and logs: endpoint header values (often credentials) hidden. */
  reportHeaders: Record<string, string>;
}

/**
 * Headers for one attempt. Signed afresh every time with the current `webhook-timestamp`, so
 * a retry hours later still passes the receiver's 5-minute tolerance; the body bytes are the
 * ones stored at accept time.
 */
export function buildRequest(ep: RuntimeEndpoint, messageId: string, body: string, nowMs: number): DeliveryRequest {
  const ts = Math.floor(nowMs / 1000);
  const base: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': messageId,
    'webhook-timestamp': String(ts),
  };
  const active = ep.secrets.filter((s) => s.expiresAt === null || s.expiresAt > nowMs);
  if (ep.signing !== 'none' && active.length === 0) throw new NoActiveSecretError('every secret of the endpoint has expired');
  if (ep.signing === 'standard') base['webhook-signature'] = signStandard(active.map((s) => s.key as Buffer), messageId, ts, body);
  else if (ep.signing === 'frappe') base['x-frappe-webhook-signature'] = signFrappe(active[0]!.key as string, body);
  const reportHeaders = { ...base };
  for (const name of Object.keys(ep.headers)) reportHeaders[name.toLowerCase()] = '[redacted]';
  return { headers: { ...ep.headers, ...base }, reportHeaders };
}
