import type { FrappeClient } from '../frappe/client';

/**
 * The connection calls from the sidecar to Frappe (docs/api.md). Frappe keeps the truth —
 * credentials and tokens in Password fields — so a flushed Redis or a new sidecar recovers
 * from it, and it learns when a connection expires.
 */

export const FRAPPE_METHODS = {
  config: 'integrations_app.api.sidecar.connection_config',
  storeTokens: 'integrations_app.api.sidecar.store_connection_tokens',
  status: 'integrations_app.api.sidecar.connection_status',
} as const;

export interface TokenWriteBack {
  access_token: string;
  refresh_token: string | null;
  token_type: string;
  scope: string | null;
  expires_at: string | null;
  obtained_at: string;
}

export class ConnectionFrappeSync {
  constructor(private readonly frappe: FrappeClient) {}

  /** The connection as `PUT /v1/connections/{id}` takes it (with secrets and tokens), or null if Frappe has none. */
  fetchConfig(id: string): Promise<unknown> {
    return this.frappe.call(FRAPPE_METHODS.config, { connection_id: id });
  }

  storeTokens(id: string, tokens: TokenWriteBack, extra: { connected_by?: string; connected_at?: string } = {}): Promise<unknown> {
    return this.frappe.call(FRAPPE_METHODS.storeTokens, { connection_id: id, tokens, status: 'connected', ...extra });
  }

  reportStatus(id: string, status: 'connected' | 'expired' | 'error', error: string | null): Promise<unknown> {
    return this.frappe.call(FRAPPE_METHODS.status, { connection_id: id, status, error, at: new Date().toISOString() });
  }
}
