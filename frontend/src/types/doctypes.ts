interface DocType {
    name: string;
    creation: string;
    modified: string;
    owner: string;
    modified_by: string;
  }

  interface ChildDocType extends DocType {
    parent?: string;
    parentfield?: string;
    parenttype?: string;
    idx?: number;
  }
  
// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationInboundEvent extends DocType {
  /** Endpoint: Link (Integration Inbound Endpoint) */
  endpoint?: string;
  /** Provider: Data */
  provider?: string;
  /** Provider Event ID: Data */
  provider_event_id?: string;
  /** Event Type: Data */
  event_type?: string;
  /** Status: Select */
  status?: 'Received' | 'Processing' | 'Processed' | 'Failed' | 'No Handler';
  /** Received At: Datetime */
  received_at?: string;
  /** Processed At: Datetime */
  processed_at?: string;
  /** Attempts: Int */
  attempts?: number;
  /** Error: Long Text */
  error?: any;
  /** Payload: Long Text */
  payload?: any;
  /** Headers: Code */
  headers?: string;
}

// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationWebhookEvent extends ChildDocType {
  /** Event: Select */
  event: 'after_insert' | 'on_update' | 'on_submit' | 'on_cancel' | 'on_trash' | 'on_update_after_submit';
}

// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationWebhookDeliveryAttempt extends ChildDocType {
  /** Attempt: Int */
  attempt_no?: number;
  /** At: Datetime */
  at?: string;
  /** Status Code: Int */
  status_code?: number;
  /** Duration (ms): Int */
  duration_ms?: number;
  /** Error: Small Text */
  error?: string;
  /** Response Body: Long Text */
  response_body?: any;
  /** Request Headers: Code */
  request_headers?: string;
}

// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationWebhookDelivery extends DocType {
  /** Webhook: Link (Integration Webhook) */
  webhook?: string;
  /** Stream: Link (Integration Stream) */
  stream?: string;
  /** Sync Profile: Link (Integration Sync Profile) */
  sync_profile?: string;
  /** Event Type: Data */
  event_type?: string;
  /** Status: Select */
  status?: 'Queued' | 'Sending' | 'Retrying' | 'Succeeded' | 'Failed' | 'Cancelled';
  /** Accepted by Sidecar: Check */
  acked: 0 | 1;
  /** Reference DocType: Link (DocType) */
  reference_doctype?: string;
  /** Reference Name: Dynamic Link (reference_doctype) */
  reference_name?: string;
  /** Completed At: Datetime */
  completed_at?: string;
  /** Attempts: Int */
  attempts_count?: number;
  /** Last Status Code: Int */
  last_status_code?: number;
  /** Last Duration (ms): Int */
  last_duration_ms?: number;
  /** Next Attempt At: Datetime */
  next_attempt_at?: string;
  /** Last Error: Small Text */
  last_error?: string;
  /** Pushes to Sidecar: Int */
  push_attempts?: number;
  /** Last Pushed At: Datetime */
  pushed_at?: string;
  /** Payload (JSON): Long Text */
  payload?: any;
  /** Attempts: Table (Integration Webhook Delivery Attempt) */
  attempts: IntegrationWebhookDeliveryAttempt[];
}

// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationWebhookHeader extends ChildDocType {
  /** Header: Data */
  key: string;
  /** Value: Password */
  value?: string;
}

// Last updated: 2025-01-15 10:00:00.000000
export interface IntegrationWebhook extends DocType {
  /** Title: Data */
  title: string;
  /** DocType: Link (DocType) */
  reference_doctype: string;
  /** Status: Select */
  status?: 'Active' | 'Paused' | 'Disabled' | 'Auto-disabled';
  /** Events: Table (Integration Webhook Event) */
  events: IntegrationWebhookEvent[];
  /** Condition: Code */
  condition?: string;
  /** Last Condition Error: Small Text */
  last_condition_error?: string;
  /** URL: Data */
  url: string;
  /** Signing: Select */
  signing?: 'Standard Webhooks' | 'Frappe-compatible' | 'None';
  /** Secret: Password */
  secret?: string;
  /** Previous Secret: Password */
  previous_secret?: string;
  /** Previous Secret Expires At: Datetime */
  previous_secret_expires_at?: string;
  /** Headers: Table (Integration Webhook Header) */
  headers: IntegrationWebhookHeader[];
  /** Payload: Select */
  payload_type?: 'Document' | 'Fields' | 'Template';
  /** Fields: Small Text */
  payload_fields?: string;
  /** Template: Code */
  payload_template?: string;
  /** Timeout (ms): Int */
  timeout_ms?: number;
  /** Retry Schedule (s): Data */
  retry_schedule?: string;
  /** Ordered: Check */
  ordered: 0 | 1;
  /** Rate Limit (per second): Float */
  rate_limit_per_s?: number;
  /** Max In Flight: Int */
  max_in_flight?: number;
  /** Delivered: Int */
  delivered_count?: number;
  /** Failed: Int */
  failed_count?: number;
  /** Consecutive Failed Attempts: Int */
  consecutive_failures?: number;
  /** Synced to Sidecar: Check */
  sidecar_synced: 0 | 1;
  /** Last Success: Datetime */
  last_success_at?: string;
  /** Last Failure: Datetime */
  last_failure_at?: string;
  /** Last Error: Small Text */
  last_error?: string;
  /** Disabled Reason: Small Text */
  disabled_reason?: string;
}
