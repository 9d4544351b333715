import { computed, onBeforeUnmount, onMounted, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { errorText } from '../../data/client'
import {
  catalogueResource,
  connectionListResource,
  connectionStatsResource,
  disconnectResource,
  startOAuthResource,
  testConnectionResource,
} from '../../data/connections'
import { __ } from '../../translate'
import type { ConnectionCounters, ConnectionTestResult } from '../../types/api'
import { rateChartOptions } from './chartOptions'
import { nextRates, type RatePoint } from './rates'

/** How often the sidecar's counters are read for the live chart. */
export const STATS_POLL_MS = 5000

export function useConnections() {
  const route = useRoute()
  const router = useRouter()
  const connections = connectionListResource()
  const catalogue = catalogueResource()
  const stats = connectionStatsResource()
  const tester = testConnectionResource()
  const starter = startOAuthResource()
  const disconnecter = disconnectResource()

  const rates = ref<Record<string, RatePoint[]>>({})
  const counters = ref<Record<string, ConnectionCounters>>({})
  let last: Record<string, { at: number; counters: ConnectionCounters }> = {}
  const testResults = ref<Record<string, ConnectionTestResult>>({})
  const busy = ref<string | null>(null)
  const actionError = ref('')

  const loadConnections = () => connections.fetch().catch(() => null)
  const loadCatalogue = () => catalogue.fetch().catch(() => null)

  async function pollStats() {
    const answer = await stats.fetch().catch(() => null)
    if (!answer) return
    const at = Date.now()
    const next: Record<string, RatePoint[]> = { ...rates.value }
    for (const [name, current] of Object.entries(answer.connections)) {
      next[name] = nextRates(next[name] ?? [], last[name], { at, counters: current })
      last[name] = { at, counters: current }
    }
    rates.value = next
    counters.value = answer.connections
  }

  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    loadConnections()
    loadCatalogue()
    pollStats()
    timer = setInterval(pollStats, STATS_POLL_MS)
  })
  onBeforeUnmount(() => {
    clearInterval(timer)
    last = {}
  })

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

  const disconnect = (name: string) =>
    run(name, async () => {
      await disconnecter.submit({ connection: name })
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
    /** Each connection with its counters, last test and chart (absent ones as null). */
    cards: computed(() =>
      (connections.data ?? []).map((row) => ({
        row,
        counters: counters.value[row.name] ?? null,
        test: testResults.value[row.name] ?? null,
        chart: rateChartOptions(rates.value[row.name] ?? []),
      })),
    ),
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
