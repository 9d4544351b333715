/** Reply shapes of the desk API the SPA calls (docs/api.md "Desk API for the SPA"). */
import type { IntegrationWebhookDelivery } from './doctypes'

/** Sidecar statuses, as reported in realtime outcomes. */
export type SidecarStatus = 'sending' | 'succeeded' | 'retrying' | 'failed' | 'cancelled'

/** An attempt as the sidecar reports it (realtime outcomes). */
export interface OutcomeAttempt {
  n: number
  at: string | null
  status_code: number | null
  duration_ms: number | null
  error: string | null
  response_body: string | null
  request_headers: Record<string, string> | string | null
}

/** One delivery outcome (docs/api.md `Outcome`). */
export interface Outcome {
  message_id: string
  endpoint_id: string | null
  status: SidecarStatus
  attempt: OutcomeAttempt | null
  next_attempt_at: string | null
}

/** Realtime `integrations_delivery` message: outcomes batched by the sidecar. */
export interface DeliveryRealtimeMessage {
  items: Outcome[]
}

export interface InboundRealtimeItem {
  slug: string
  provider_event_id: string
  event_type: string
  status: string
}

/** Realtime `integrations_inbound` message. */
export interface InboundRealtimeMessage {
  items: InboundRealtimeItem[]
}

/** The sidecar's `GET /healthz` body, passed through by `test_sidecar`. */
export interface SidecarHealth {
  ok: boolean
  redis: { ok: boolean; embedded: boolean; ping_ms: number }
  frappe: 'connected' | 'standalone'
  uptime_s: number
}

/** `integrations_app.api.settings.test_sidecar` */
export interface SidecarTestResult {
  ok: boolean
  status_code: number | null
  latency_ms: number | null
  health: SidecarHealth | null
  error: string | null
}

export interface OverviewBucket {
  /** Site-local minute, `YYYY-MM-DD HH:MM`. */
  minute: string
  succeeded: number
  failed: number
  retrying: number
}

/** `integrations_app.api.dashboard.delivery_overview`; totals count deliveries per status in the window. */
export interface DeliveryOverview {
  buckets: OverviewBucket[]
  totals: Record<'queued' | 'sending' | 'retrying' | 'succeeded' | 'failed' | 'cancelled', number>
}

/** `integrations_app.api.dashboard.delivery_detail`: the document with its `attempts` rows and its webhook's title. */
export type DeliveryDetail = IntegrationWebhookDelivery & { webhook_title: string | null }

/** `integrations_app.api.webhooks.failing_now`: deliveries whose latest status is Failed, per webhook (none: left out). */
export type FailingNow = Record<string, number>

/** A row of `integrations_app.api.inbound.endpoint_stats` */
export interface InboundEndpointStats {
  name: string
  provider: string
  /** null until Integration Settings has a "Public URL for Inbound Webhooks". */
  public_url: string | null
  accepted: number
  /** null when the sidecar could not be asked. */
  rejected: number | null
  duplicates: number | null
}

/** A row of `integrations_app.api.connections.list_connections` (times: UTC ISO-8601). */
export interface ConnectionRow {
  name: string
  auth_type: string
  provider: string | null
  base_url: string
  sandbox: 0 | 1
  enabled: 0 | 1
  status: 'Not Connected' | 'Connected' | 'Expired' | 'Error' | 'Disabled'
  last_error: string | null
  last_error_at: string | null
  token_expires_at: string | null
  connected_by: string | null
  connected_at: string | null
  sidecar_id: string
  sidecar_synced: 0 | 1
  oauth: boolean
  /** The provider API's desk label (`Stripe`), or null for a proxy-only connection. */
  api_provider?: string | null
  /** What the API is for: which "Try it" action the connection's card offers. */
  area?: ProviderArea | null
}

export type ProviderArea = 'payments' | 'email' | 'sms' | 'storage'

/** `integrations_app.api.providers.test_operation`: at least `ok` and a sentence; the rest per area. */
export interface TestOperationResult {
  ok: boolean
  area: ProviderArea
  summary: string
  code?: string
  /** Payments: the Integration Payment and where the payer would go. */
  payment?: string
  /** Email and SMS: the Integration Message recorded for the test message. */
  message?: string
  status?: PaymentStatus
  provider_payment_id?: string
  url?: string | null
  [detail: string]: unknown
}

export type PaymentStatus = 'Created' | 'Pending' | 'Succeeded' | 'Failed' | 'Refunded' | 'Cancelled'

/** A row of `integrations_app.api.payments.list_payments` (also the items of `integrations_payment`). */
export interface PaymentRow {
  name: string
  provider: 'stripe' | 'paypal' | 'razorpay'
  provider_payment_id: string
  connection: string | null
  status: PaymentStatus
  /** A decimal string with the currency's decimals ("5.00", "500", "5.000"). */
  amount: string
  currency: string
  reference_doctype: string | null
  reference_name: string | null
  settled_at: string | null
  description: string | null
  checkout_url: string | null
  last_error: string | null
  creation: string
  modified: string
}

/** A realtime event the site publishes after commit with the changed rows of a log. */
export interface RowsMessage<Row> {
  items: Row[]
}

/** Realtime `integrations_payment` (room `doctype:Integration Payment`). */
export type PaymentRealtimeMessage = RowsMessage<PaymentRow>

export type MessageStatus = 'Queued' | 'Sent' | 'Delivered' | 'Bounced' | 'Complained' | 'Failed' | 'Undelivered'
export type MessageChannel = 'Email' | 'SMS'

/**
 * A row of `integrations_app.api.messages.list_messages` (also the items of `integrations_message`).
 * Times are Frappe's: naive, in the site's time zone.
 */
export interface MessageRow {
  name: string
  connection: string | null
  channel: MessageChannel
  /** The connection's API: `sendgrid`, `mailgun`, `amazon_ses`, `twilio`. */
  provider: string
  provider_message_id: string
  status: MessageStatus
  /** Why the status is what it is (bounce type, error code), when the provider said. */
  status_detail: string | null
  recipient: string
  subject: string | null
  sent_at: string | null
  status_at: string | null
  reference_doctype: string | null
  reference_name: string | null
  creation: string
  modified: string
}

/** One provider event about a message; `status` is null for events that change none (a deferral, an open). */
export interface MessageEvent {
  event: string
  status: MessageStatus | null
  at: string | null
  detail: string | null
}

/** `integrations_app.api.messages.get_message`: the row, its sender and its events in arrival order. */
export interface MessageDetail extends MessageRow {
  sender: string | null
  events: MessageEvent[]
}

/** Realtime `integrations_message` (room `doctype:Integration Message`). */
export type MessageRealtimeMessage = RowsMessage<MessageRow>

/** An entry of `integrations_app.api.connections.catalogue`. */
export interface CatalogueEntry {
  key: string
  title: string
  kind: 'oauth' | 'api'
  configured: boolean
  defaults: Record<string, string>
}

/** One minute of a connection's calls, summed over every sidecar process. */
export interface MinutePoint {
  /** ISO-8601, the start of the minute (UTC). */
  minute: string
  calls: number
  errors: number
  /** Upper bound (ms) of the latency bucket holding the 95th percentile; null without calls. */
  p95_ms: number | null
  /** The worst circuit state seen that minute; null when nothing happened. */
  breaker: 'closed' | 'half_open' | 'open' | null
}

/** A connection over the window of `connection_stats`. */
export interface ConnectionCounters {
  calls: number
  errors: number
  by_result: Record<string, number>
  /** The circuit now. */
  breaker: 'closed' | 'half_open' | 'open'
  series: MinutePoint[]
}

export interface ConnectionStats {
  at: string
  minutes: number
  connections: Record<string, ConnectionCounters>
  error: string | null
}

/** A failed call from the connection's call log (`recent_failures`). */
export interface CallFailure {
  name: string
  at: string | null
  method: string
  path: string | null
  /** 0 when the API did not answer (see error_code). */
  status_code: number
  error_code: string | null
  error: string | null
  attempts: number
  duration_ms: number
}

export interface ConnectionTestResult {
  ok: boolean
  status_code: number | null
  duration_ms?: number
  attempts?: number
  error: string | null
  code?: string
  status: ConnectionRow['status']
}

/** A row of `integrations_app.api.streams.list_streams` */
export interface StreamRow {
  /** The stream id at the sidecar (`/v1/streams/{name}/sse`). */
  name: string
  title: string
  enabled: 0 | 1
  sidecar_synced: 0 | 1
  payload_type: 'Document' | 'Fields'
  max_len: number
  max_age_hours: number
  sources: { reference_doctype: string; event: string }[]
  /** Tokens neither revoked nor expired. */
  live_tokens: number
  /** UTC ISO-8601, or null before the first event. */
  last_event_at: string | null
}

/** A token as managers see it (`list_tokens`, `revoke_token`): never the token, never its hash. */
export interface StreamToken {
  name: string
  label: string
  last4: string
  /** Its consumers get only events whose data has `filter_value` at this dot path; null: every event. */
  filter_field: string | null
  filter_value: string | null
  /** Site-local Frappe datetimes. */
  expires_at: string | null
  revoked: 0 | 1
  /** On the server's clock. */
  state: 'Active' | 'Revoked' | 'Expired'
  revoked_at: string | null
  revoked_by: string | null
  created_by: string
  created_at: string
}

/** `create_token`: the one answer that carries the token itself. */
export type CreatedStreamToken = StreamToken & { token: string }

/** A row of `integrations_app.api.streams.tail`: one event Frappe fed the stream. */
export interface StreamTailEvent {
  name: string
  event_type: string
  reference_doctype: string | null
  reference_name: string | null
  /** UTC ISO-8601. */
  created_at: string
  status: string
  /** 1 once the sidecar has appended it to the stream. */
  acked: 0 | 1
  payload: unknown
}

export interface StreamConsumer {
  transport: 'sse' | 'ws' | string
  connected_at: string | null
  last_event_id: string | null
  /** Events behind the stream's head. */
  lag: number | null
}

/** `integrations_app.api.streams.consumers` */
export type StreamConsumers = { available: true; clients: StreamConsumer[] } | { available: false; reason: string }

/** A row of `integrations_app.api.streams.list_connectors` (Integration Stream Connector). */
export interface StreamConnectorRow {
  /** The connector id at the sidecar (`/v1/stream-connectors/{name}`). */
  name: string
  title: string
  transport: 'SSE' | 'WebSocket'
  source_url: string
  inbound_endpoint: string
  connection: string | null
  enabled: 0 | 1
  sidecar_synced: 0 | 1
}

/** One reconnect of a connector, newest first. */
export interface ConnectorReconnect {
  /** UTC ISO-8601. */
  at: string
  reason: string
  /** Consecutive failed attempts when it happened (1 after a healthy connection). */
  attempt: number
  /** The sidecar process that held the connection. */
  holder: string
}

export interface ConnectorStatus {
  state: 'idle' | 'connecting' | 'connected' | 'backoff' | 'disabled' | 'stopped'
  holder: string | null
  state_since: string | null
  connected_at: string | null
  last_event_id: string | null
  last_event_at: string | null
  forwarded: number
  duplicates: number
  skipped: number
  attempt: number
  last_error: string | null
  last_error_at: string | null
}

/** `integrations_app.api.streams.connector_status` */
export type ConnectorStatusReply =
  | { available: true; status: ConnectorStatus; history: ConnectorReconnect[] }
  | { available: false; reason: string }
// ---- Data sync (docs/api.md "Sync"; docs/sync.md for the engine)

export type SyncRunStatus = 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled'
export type SyncRecordStatus = 'Synced' | 'Failed' | 'Conflict' | 'Skipped' | 'Deleted'

/** An Integration Sync Run as the desk API returns it (times UTC ISO-8601). */
export interface SyncRun {
  name: string
  run_id: string
  profile: string
  kind: 'Incremental' | 'Full' | 'Retry Failed' | 'Changes' | 'Record'
  status: SyncRunStatus
  phase: string | null
  started_at: string | null
  finished_at: string | null
  requested_by: string | null
  seen: number
  total: number
  created: number
  /** Paired with the other side's record by the profile's match key instead of created. */
  linked: number
  updated: number
  deleted: number
  skipped: number
  failed: number
  conflicts: number
  error: string | null
  /** 0..1, or null while the total is unknown (an indeterminate bar). */
  progress: number | null
  already_running?: boolean
}

/** `integrations_app.api.sync.list_profiles` */
export interface SyncProfileRow {
  name: string
  enabled: 0 | 1
  local_doctype: string
  connection: string
  remote_type: 'Frappe Site' | 'Generic REST'
  remote: string | null
  direction: 'Push' | 'Pull' | 'Both'
  mode: 'Real-time' | 'Batch' | 'Scheduled'
  schedule_cron: string | null
  conflict_strategy: string
  /** Match Existing Records On: the key pair a first sync pairs records by, or null. */
  match_on: { local_field: string; remote_field: string } | null
  last_run_status: string | null
  last_run_at: string | null
  last_run_summary: string | null
  sidecar_synced: 0 | 1
  last_run: SyncRun | null
  active_run: SyncRun | null
  failed: number
  conflicts: number
}

/** A run as the sidecar publishes it (`integrations_sync_progress`, docs/sync.md §2 `Run`). */
export interface SyncRunEvent {
  run_id: string
  profile_id: string
  kind: 'incremental' | 'full' | 'retry_failed' | 'changes' | 'record'
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  phase?: string | null
  started_at: string | null
  finished_at: string | null
  stats: { seen: number; created: number; linked: number; updated: number; deleted: number; skipped: number; failed: number; conflicts: number }
  total: number | null
  error: string | null
}

export interface SyncProgressMessage {
  items: SyncRunEvent[]
}

export interface SyncConflictEvent {
  profile_id: string
  local_name: string | null
  external_id: string | null
  fields: string[]
  detected_at: string
}

export interface SyncConflictMessage {
  items: SyncConflictEvent[]
}

/** A Sync Log row in lists (`list_records`, `list_conflicts`). */
export interface SyncRecordRow {
  name: string
  profile: string
  local_doctype: string | null
  local_name: string | null
  external_id: string | null
  status: SyncRecordStatus
  last_direction: 'push' | 'pull' | 'none'
  last_synced_at: string | null
  attempts: number
  next_retry_at: string | null
  error: string | null
  modified: string | null
  /** `list_conflicts` only: the fields changed on both sides, and when. */
  fields?: string[]
  detected_at?: string | null
}

/** One mapped field of a conflict, side by side. */
export interface SyncConflictField {
  field: string
  remote_field: string
  base: unknown
  local: unknown
  remote: unknown
  conflict: boolean
  changed_local: boolean
  changed_remote: boolean
}

/** `integrations_app.api.sync.get_conflict` */
export interface SyncConflict {
  name: string
  profile: string
  local_doctype: string | null
  local_name: string | null
  external_id: string | null
  status: SyncRecordStatus
  detected_at: string | null
  fields: string[]
  rows: SyncConflictField[]
}

export interface SyncTimelineEvent {
  at?: string
  action?: string
  status?: string
  detail?: string
  direction?: string
  run_id?: string
}

/** `integrations_app.api.sync.record_timeline` */
export interface SyncTimeline {
  name: string
  profile: string
  local_doctype: string | null
  local_name: string | null
  external_id: string | null
  status: SyncRecordStatus
  last_direction: string | null
  last_synced_at: string | null
  attempts: number
  next_retry_at: string | null
  error: string | null
  events: SyncTimelineEvent[]
}

/** `integrations_app.api.files.migration_status` and the `integrations_file_migration` event. */
export interface FileMigrationStatus {
  status: '' | 'Queued' | 'Running' | 'Completed' | 'Failed'
  done: number
  total: number
  percent: number
  error: string | null
  /** File storage is on and has a connection. */
  enabled: boolean
  /** Files whose bytes are still on the site's disk. */
  remaining_on_disk: number
}
