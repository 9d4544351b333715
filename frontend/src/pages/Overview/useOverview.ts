import { computed, onMounted } from 'vue'
import { errorText } from '../../data/client'
import { deliveryOverviewResource, sidecarStatusResource } from '../../data/dashboard'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { overviewChartOptions, shapeBuckets } from './chartOptions'

/** How often, at most, realtime deliveries refresh the overview. */
const LIVE_REFRESH_MS = 5000

export function useOverview() {
  const sidecar = sidecarStatusResource()
  const overview = deliveryOverviewResource()

  const series = computed(() => shapeBuckets(overview.data?.buckets ?? []))
  const chartOptions = computed(() => overviewChartOptions(series.value))
  const totals = computed(() => overview.data?.totals ?? null)
  const total = computed(() => (totals.value ? Object.values(totals.value).reduce((sum, n) => sum + n, 0) : null))
  const successRate = computed(() => {
    const t = totals.value
    const finished = t ? t.succeeded + t.failed : 0
    return t && finished ? `${Math.round((t.succeeded / finished) * 100)}%` : '—'
  })

  // Errors are shown from `resource.error`; the rejection carries nothing more.
  const checkSidecar = () => sidecar.fetch().catch(() => null)
  const loadOverview = () => overview.fetch().catch(() => null)

  useRealtime('integrations_delivery', useThrottle(loadOverview, LIVE_REFRESH_MS))
  onMounted(() => {
    checkSidecar()
    loadOverview()
  })

  return {
    sidecar,
    sidecarError: computed(() => errorText(sidecar.error)),
    overview,
    overviewError: computed(() => errorText(overview.error)),
    series,
    chartOptions,
    totals,
    total,
    successRate,
    checkSidecar,
    loadOverview,
  }
}
