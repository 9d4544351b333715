import { computed, onMounted, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import {
  retryFailedResource,
  resyncRecordResource,
  runNowResource,
  syncConflictsResource,
  syncProfilesResource,
  syncRecordsResource,
  syncRunsResource,
} from '../../data/sync'
import type { SyncConflictMessage, SyncProfileRow, SyncProgressMessage, SyncRecordRow, SyncRun } from '../../types/api'
import { applyProgress, applyRunHistory, isFinal } from './live'

/** Runs listed in the history. */
export const RUNS_KEPT = 20
export const PAGE_LENGTH = 50
/** Counts and queues are read again at most this often while runs report. */
const REFRESH_MS = 2000

export type SyncTab = 'conflicts' | 'records'

export function useSync() {
  const route = useRoute()
  const router = useRouter()
  const profilesList = syncProfilesResource()
  const runsList = syncRunsResource()
  const conflictsList = syncConflictsResource()
  const recordsList = syncRecordsResource()
  const runner = runNowResource()
  const retrier = retryFailedResource()
  const resyncer = resyncRecordResource()

  const profiles = ref<SyncProfileRow[]>([])
  const runs = ref<SyncRun[]>([])
  const conflicts = ref<SyncRecordRow[]>([])
  const records = ref<SyncRecordRow[]>([])
  const recordStatus = ref('')
  const recordSearch = ref('')
  const tab = ref<SyncTab>('conflicts')
  const actionError = ref('')
  const notice = ref('')
  const busy = ref('')

  const selected = computed(() => (typeof route.query.profile === 'string' ? route.query.profile : null))
  const current = computed(() => profiles.value.find((p) => p.name === selected.value) ?? null)
  const openConflict = computed(() => (typeof route.query.conflict === 'string' ? route.query.conflict : null))
  const openRecord = computed(() => (typeof route.query.record === 'string' ? route.query.record : null))

  async function loadProfiles() {
    const data = await profilesList.fetch().catch(() => null)
    if (data) profiles.value = data
  }
  async function loadRuns() {
    const profile = selected.value
    if (!profile) return
    const data = await runsList.fetch({ profile, limit: RUNS_KEPT }).catch(() => null)
    if (data && profile === selected.value) runs.value = data
  }
  async function loadConflicts() {
    const profile = selected.value
    if (!profile) return
    const data = await conflictsList.fetch({ profile, start: 0, limit: PAGE_LENGTH }).catch(() => null)
    if (data && profile === selected.value) conflicts.value = data
  }
  async function loadRecords() {
    const profile = selected.value
    if (!profile) return
    const args: { profile: string; status?: string; search?: string; start: number; limit: number } = { profile, start: 0, limit: PAGE_LENGTH }
    if (recordStatus.value) args.status = recordStatus.value
    if (recordSearch.value.trim()) args.search = recordSearch.value.trim()
    const data = await recordsList.fetch(args).catch(() => null)
    if (data && profile === selected.value) records.value = data
  }
  const loadDetail = () => Promise.all([loadRuns(), loadConflicts(), loadRecords()])

  const refreshAfterRuns = useThrottle(() => {
    void loadProfiles()
    void loadConflicts()
    void loadRecords()
  }, REFRESH_MS)

  useRealtime<SyncProgressMessage>('integrations_sync_progress', (message) => {
    const items = message.items ?? []
    profiles.value = applyProgress(profiles.value, items)
    if (selected.value) runs.value = applyRunHistory(runs.value, items, selected.value, RUNS_KEPT)
    // a finished run changed the counts, the queue and the records: read them again
    if (items.some((i) => i.status !== 'queued' && i.status !== 'running')) refreshAfterRuns()
  })
  useRealtime<SyncConflictMessage>('integrations_sync_conflict', () => refreshAfterRuns())

  function select(profile: string) {
    router.replace({ query: { profile } })
  }
  function setQuery(key: 'conflict' | 'record', value: string | null) {
    const query = { ...route.query }
    if (value) query[key] = value
    else delete query[key]
    router.replace({ query })
  }

  watch(selected, () => {
    runs.value = []
    conflicts.value = []
    records.value = []
    actionError.value = ''
    notice.value = ''
    void loadDetail()
  })
  watch([recordStatus, recordSearch], () => void loadRecords())

  onMounted(async () => {
    await loadProfiles()
    if (!selected.value && profiles.value.length) select(profiles.value[0]!.name)
    else if (selected.value) void loadDetail()
  })

  async function act(kind: string, action: () => Promise<void>) {
    busy.value = kind
    actionError.value = ''
    notice.value = ''
    try {
      await action()
    } catch (error) {
      actionError.value = errorText(error as Error)
    } finally {
      busy.value = ''
    }
  }

  /** The run the sidecar queued shows at once; its progress then arrives by realtime. */
  function showRun(run: SyncRun | null) {
    if (!run) return
    runs.value = [run, ...runs.value.filter((r) => r.run_id !== run.run_id)].slice(0, RUNS_KEPT)
    profiles.value = profiles.value.map((p) => (p.name === run.profile && !isFinal(run) ? { ...p, active_run: run } : p))
  }

  const runNow = (kind: 'incremental' | 'full') =>
    act(kind, async () => {
      if (!selected.value) return
      const run = await runner.submit({ profile: selected.value, kind })
      showRun(run)
      if (run?.already_running) notice.value = 'already_running'
    })

  const retryFailed = () =>
    act('retry', async () => {
      if (!selected.value) return
      showRun(await retrier.submit({ profile: selected.value }))
    })

  const resync = (row: Pick<SyncRecordRow, 'local_name' | 'external_id' | 'name'>) =>
    act(`resync:${row.name}`, async () => {
      if (!selected.value) return
      const args: { profile: string; local_name?: string; external_id?: string } = { profile: selected.value }
      if (row.local_name) args.local_name = row.local_name
      if (row.external_id) args.external_id = row.external_id
      await resyncer.submit(args)
      notice.value = 'resync'
    })

  return {
    profiles,
    profilesLoading: computed(() => profilesList.loading),
    profilesError: computed(() => errorText(profilesList.error)),
    loadProfiles,
    selected,
    current,
    select,
    runs,
    runsError: computed(() => errorText(runsList.error)),
    conflicts,
    conflictsLoading: computed(() => conflictsList.loading),
    conflictsError: computed(() => errorText(conflictsList.error)),
    records,
    recordsLoading: computed(() => recordsList.loading),
    recordsError: computed(() => errorText(recordsList.error)),
    recordStatus,
    recordSearch,
    tab,
    loadDetail,
    runNow,
    retryFailed,
    resync,
    busy,
    actionError,
    notice,
    openConflict,
    openRecord,
    showConflict: (name: string | null) => setQuery('conflict', name),
    showRecord: (name: string | null) => setQuery('record', name),
    afterResolve: (settledBefore = false) => {
      setQuery('conflict', null)
      notice.value = settledBefore ? 'already_resolved' : ''
      void loadConflicts()
      void loadRecords()
      void loadProfiles()
    },
  }
}
