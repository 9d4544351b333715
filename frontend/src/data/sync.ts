import { createResource } from 'frappe-ui'
import type { SyncConflict, SyncProfileRow, SyncRecordRow, SyncRun, SyncTimeline } from '../types/api'

const API = 'integrations_app.api.sync.'

export function syncProfilesResource() {
  return createResource<SyncProfileRow[]>({ url: API + 'list_profiles' })
}

export function syncRunsResource() {
  return createResource<SyncRun[], { profile: string; limit: number }>({ url: API + 'list_runs' })
}

export function syncConflictsResource() {
  return createResource<SyncRecordRow[], { profile: string; start: number; limit: number }>({ url: API + 'list_conflicts' })
}

export function syncRecordsResource() {
  return createResource<SyncRecordRow[], { profile: string; status?: string; search?: string; start: number; limit: number }>({
    url: API + 'list_records',
  })
}

export function syncConflictResource() {
  return createResource<SyncConflict, { log: string }>({ url: API + 'get_conflict' })
}

export function syncTimelineResource() {
  return createResource<SyncTimeline, { log: string }>({ url: API + 'record_timeline' })
}

export function runNowResource() {
  return createResource<SyncRun, { profile: string; kind: 'incremental' | 'full' }>({ url: API + 'run_now' })
}

export function retryFailedResource() {
  return createResource<SyncRun, { profile: string }>({ url: API + 'retry_failed' })
}

export function resyncRecordResource() {
  return createResource<{ queued: boolean }, { profile: string; local_name?: string; external_id?: string }>({ url: API + 'resync_record' })
}

export function resolveConflictResource() {
  return createResource<
    { status: 'Synced' | 'Failed'; local_name: string | null; external_id: string | null; error: string | null },
    { log: string; take: 'local' | 'remote' | 'merge'; values?: Record<string, unknown> }
  >({ url: API + 'resolve_conflict' })
}
