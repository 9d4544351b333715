import { computed, onMounted, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useClipboard } from '../../composables/useClipboard'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import { endpointStatsResource, inboundEventListResource } from '../../data/inbound'

/** Inbound bursts refresh endpoints and events at most this often. */
const LIVE_REFRESH_MS = 2000

export function useInbound() {
  const route = useRoute()
  const router = useRouter()
  const endpoints = endpointStatsResource()
  const events = inboundEventListResource()
  const { copied, copy } = useClipboard()
  const copyError = ref('')

  const loadEndpoints = () => endpoints.fetch().catch(() => null)
  const loadEvents = () => events.fetch().catch(() => null)
  onMounted(() => {
    loadEndpoints()
    loadEvents()
  })
  useRealtime(
    'integrations_inbound',
    useThrottle(() => {
      loadEndpoints()
      loadEvents()
    }, LIVE_REFRESH_MS),
  )

  async function copyUrl(url: string) {
    copyError.value = ''
    await copy(url).catch(() => (copyError.value = 'Copying was blocked by the browser: select the URL and copy it by hand.'))
  }

  const openName = computed(() => (typeof route.query.event === 'string' ? route.query.event : null))
  function openEvent(name: string | null) {
    const query = { ...route.query }
    if (name) query.event = name
    else delete query.event
    router.replace({ query })
  }

  return {
    endpoints,
    endpointsError: computed(() => errorText(endpoints.error)),
    events,
    eventRows: computed(() => events.data ?? []),
    eventsError: computed(() => errorText(events.error)),
    loadEndpoints,
    loadEvents,
    copied,
    copyError,
    copyUrl,
    openName,
    openEvent,
  }
}
