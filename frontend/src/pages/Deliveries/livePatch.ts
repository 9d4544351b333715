/**
 * Patching the delivery log from realtime outcomes (docs/api.md `integrations_delivery`).
 * Outcomes can arrive out of order or twice, so the rule mirrors the server's
 * (`integrations_app/outbound/rules/outcomes.py: should_apply_status`): a newer attempt always wins, an older
 * one never does, and for the same attempt a final status is sticky and status only moves forward.
 */
import type { DeliveryFilters, DeliveryRow, DeliveryStatus } from '../../data/deliveries'
import type { Outcome, SidecarStatus } from '../../types/api'

const LABELS: Record<SidecarStatus, DeliveryStatus> = {
  sending: 'Sending',
  retrying: 'Retrying',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

const RANK: Record<DeliveryStatus, number> = {
  Queued: 0,
  Sending: 1,
  Retrying: 2,
  Succeeded: 3,
  Failed: 3,
  Cancelled: 3,
}

/** The most rows the live log keeps; older ones drop off the end. */
export const MAX_LIVE_ROWS = 500

export function statusLabel(status: SidecarStatus): DeliveryStatus {
  return LABELS[status]
}

export function shouldApply(current: DeliveryStatus, currentAttempt: number, next: DeliveryStatus, attempt: number | null): boolean {
  const n = attempt ?? currentAttempt
  if (n !== currentAttempt) return n > currentAttempt
  if (RANK[current] === 3) return false
  return RANK[next] >= RANK[current]
}

/** Outcomes are a webhook's (the sidecar reports only those live): none is a stream's. */
function matches(row: Pick<DeliveryRow, 'status' | 'webhook'>, filters: DeliveryFilters): boolean {
  return (!filters.status || row.status === filters.status) && (!filters.webhook || row.webhook === filters.webhook) && !filters.stream
}

function withOutcome(row: DeliveryRow, outcome: Outcome, now: string): DeliveryRow {
  const attempt = outcome.attempt
  const patched: DeliveryRow = { ...row, status: statusLabel(outcome.status), modified: now }
  if (attempt) {
    patched.attempts_count = Math.max(attempt.n, row.attempts_count ?? 0)
    if (attempt.status_code != null || attempt.error) {
      patched.last_status_code = attempt.status_code ?? undefined
      patched.last_error = attempt.error ?? ''
    }
  }
  return patched
}

export interface PatchResult {
  rows: DeliveryRow[]
  /** Deliveries the log did not have: fetch them to fill in event type and reference. */
  unknown: string[]
}

/**
 * Apply a batch of outcomes to the rows. Known rows are updated in place; unknown deliveries
 * that can match the filters are put on top as partial rows (an event-type filter cannot be
 * checked from an outcome, so then they only come back through `unknown`).
 */
export function applyOutcomes(rows: DeliveryRow[], outcomes: Outcome[], filters: DeliveryFilters, now: string): PatchResult {
  const next = [...rows]
  const unknown: string[] = []
  for (const outcome of outcomes) {
    const index = next.findIndex((row) => row.name === outcome.message_id)
    const row = next[index]
    if (row) {
      if (shouldApply(row.status, row.attempts_count ?? 0, statusLabel(outcome.status), outcome.attempt?.n ?? null)) {
        next[index] = withOutcome(row, outcome, now)
      }
      continue
    }
    const fresh = withOutcome(
      { name: outcome.message_id, webhook: outcome.endpoint_id ?? '', event_type: '', status: 'Queued', modified: now },
      outcome,
      now,
    )
    if (!matches(fresh, filters)) continue
    if (!unknown.includes(fresh.name)) unknown.push(fresh.name)
    if (!filters.eventType.trim()) next.unshift(fresh)
  }
  return { rows: next.slice(0, MAX_LIVE_ROWS), unknown }
}

/**
 * Merge rows fetched from the server into the log. Descriptive fields come from the server;
 * status fields from whichever side is further along (realtime can be ahead of the database).
 * Rows the log lacks go on top (fresh deliveries) or at the end (the next page).
 */
export function mergeFetched(rows: DeliveryRow[], fetched: DeliveryRow[], position: 'top' | 'end'): DeliveryRow[] {
  const next = [...rows]
  const added: DeliveryRow[] = []
  for (const server of fetched) {
    const index = next.findIndex((row) => row.name === server.name)
    const live = next[index]
    if (!live) {
      added.push(server)
      continue
    }
    const serverAhead = shouldApply(live.status, live.attempts_count ?? 0, server.status, server.attempts_count ?? 0)
    next[index] = serverAhead
      ? server
      : { ...server, status: live.status, attempts_count: live.attempts_count, last_status_code: live.last_status_code, last_error: live.last_error, modified: live.modified }
  }
  return position === 'top' ? [...added, ...next].slice(0, MAX_LIVE_ROWS) : [...next, ...added]
}
