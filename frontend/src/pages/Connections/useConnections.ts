import { computed, onBeforeUnmount, onMounted, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { errorText } from '../../data/client'
import {
  catalogueResource,
  connectionListResource,
  connectionStatsResource,
  disconnectResource,
  recentFailuresResource,
  startOAuthResource,
  testConnectionResource,
} from '../../data/connections'
import { __ } from '../../translate'
import type { ConnectionTestResult } from '../../types/api'
import { minuteChartOptions } from './chartOptions'

/** How often the per-minute stats (every sidecar process) and the last failures are read again. */
export const STATS_POLL_MS = 10_000
/** Minutes charted per connection. */
export const CHART_MINUTES = 30
/** Failed calls shown per connection. */
export const FAILURES_SHOWN = 3

export function useConnections() {
  const route = useRoute()
  const router = useRouter()
  const connections = connectionListResource()
  const catalogue = catalogueResource()
  const stats = connectionStatsResource(CHART_MINUTES)
  const failures = recentFailuresResource(FAILURES_SHOWN)
  const tester = testConnectionResource()
  const starter = startOAuthResource()
  const disconnecter = disconnectResource()

  const testResults = ref<Record<string, ConnectionTestResult>>({})
  const busy = ref<string | null>(null)
  const actionError = ref('')

  const loadConnections = () => connections.fetch().catch(() => null)
  const loadCatalogue = () => catalogue.fetch().catch(() => null)

  const pollStats = () => Promise.all([stats.fetch().catch(() => null), failures.fetch().catch(() => null)])

  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    loadConnections()
    loadCatalogue()
    pollStats()
    timer = setInterval(pollStats, STATS_POLL_MS)
  })
  onBeforeUnmount(() => clearInterval(timer))

  async function run(name: string, action: () => Promise<unknown>) {
    busy.value = name
    actionError.value = ''
    try {
      await action()
    } catch (error) {
      actionError.value = errorText(error as Error)
    } finally {
      busy.value = null
    }
  }

  const test = (name: string) =>
    run(name, async () => {
      const result = await tester.submit({ connection: name })
      if (result) testResults.value = { ...testResults.value, [name]: result }
      await loadConnections()
    })

  /** Opens the provider's consent page; it comes back to this page with `?oauth=`. */
  const connect = (name: string) =>
    run(name, async () => {
      const started = await starter.submit({ connection: name, return_to: 'spa' })
      if (started) window.location.assign(started.authorize_url)
    })

  /** Revocation at the provider that did not go through is shown, but the account is disconnected. */
  const revocationNotes = ref<Record<string, string>>({})
  const disconnect = (name: string) =>
    run(name, async () => {
      const result = await disconnecter.submit({ connection: name })
      const note =
        result?.revocation === 'failed'
          ? __('Disconnected, but the provider did not confirm revoking the tokens: {0}', [result.error ?? ''])
          : result?.revocation === 'pending'
            ? __('Disconnected here; the sidecar forgets and revokes the tokens when it is reachable again.')
            : ''
      revocationNotes.value = { ...revocationNotes.value, [name]: note }
      await loadConnections()
    })

  /** `?oauth=connected|failed&connection=` after the provider's redirect. */
  const oauthOutcome = computed(() => {
    const outcome = route.query.oauth
    const name = typeof route.query.connection === 'string' ? route.query.connection : ''
    if (outcome === 'connected') return { ok: true, text: __('{0} is connected.', [name]) }
    if (outcome === 'failed') return { ok: false, text: __('{0} was not connected: see its last error.', [name]) }
    return null
  })
  const dismissOutcome = () => router.replace({ query: {} })

  return {
    connections,
    connectionsError: computed(() => errorText(connections.error)),
    rows: computed(() => connections.data ?? []),
    /** Each connection with its stats, last test, chart and last failures (absent ones as null / empty). */
    cards: computed(() =>
      (connections.data ?? []).map((row) => {
        const counters = stats.data?.connections[row.name] ?? null
        return {
          row,
          counters,
          test: testResults.value[row.name] ?? null,
          chart: minuteChartOptions(counters?.series ?? []),
          failures: failures.data?.[row.name] ?? [],
          revocationNote: revocationNotes.value[row.name] ?? '',
        }
      }),
    ),
    chartMinutes: CHART_MINUTES,
    catalogue,
    catalogueError: computed(() => errorText(catalogue.error)),
    statsError: computed(() => stats.data?.error ?? errorText(stats.error)),
    busy,
    actionError,
    oauthOutcome,
    dismissOutcome,
    loadConnections,
    loadCatalogue,
    test,
    connect,
    disconnect,
  }
}
