import { computed, onBeforeUnmount, onMounted, reactive, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import {
  DELIVERY_PAGE_LENGTH,
  EMPTY_DELIVERY_FILTERS,
  deliveriesByNameArgs,
  deliveryEventTypesResource,
  deliveryListArgs,
  deliveryListResource,
  fromTargetFilterValue,
  targetFilterValue,
  type DeliveryFilters,
  type DeliveryRow,
} from '../../data/deliveries'
import { streamListResource } from '../../data/streams'
import { webhookListResource } from '../../data/webhooks'
import { frappeDatetime } from '../../format'
import { __ } from '../../translate'
import type { DeliveryRealtimeMessage } from '../../types/api'
import { applyOutcomes, mergeFetched } from './livePatch'

/** Deliveries first seen through realtime are fetched in one batch at most this often. */
const FILL_IN_MS = 1000
const EVENT_TYPE_DEBOUNCE_MS = 300

export function useDeliveries() {
  const route = useRoute()
  const router = useRouter()

  const filters = reactive<DeliveryFilters>({ ...EMPTY_DELIVERY_FILTERS })
  const rows = ref<DeliveryRow[]>([])
  const hasMore = ref(false)
  const list = deliveryListResource()
  const fillIn = deliveryListResource()
  const eventTypes = deliveryEventTypesResource()
  let request = 0

  /** Load the first page (start 0) or the next one; a stale reply (filters changed) is dropped. */
  async function load(start = 0) {
    const id = ++request
    // the types are read afresh with each first page, so a type new since the last one is found
    if (filters.eventType.trim() && !start) await eventTypes.fetch().catch(() => null)
    if (id !== request) return
    const page = await list.fetch(deliveryListArgs(filters, start, eventTypes.data ?? [])).catch(() => null)
    if (id !== request || !page) return
    rows.value = start ? mergeFetched(rows.value, page, 'end') : page
    hasMore.value = page.length === DELIVERY_PAGE_LENGTH
  }

  const pending = new Set<string>()
  const fetchPending = useThrottle(async () => {
    const names = [...pending]
    pending.clear()
    if (!names.length) return
    const fetched = await fillIn.fetch(deliveriesByNameArgs(filters, names, eventTypes.data ?? [])).catch(() => null)
    if (fetched) rows.value = mergeFetched(rows.value, fetched, 'top')
  }, FILL_IN_MS)

  useRealtime<DeliveryRealtimeMessage>('integrations_delivery', (message) => {
    // `modified` of a patched row: now on the site's clock, like the rows the server sends
    const result = applyOutcomes(rows.value, message.items, filters, frappeDatetime(new Date()))
    rows.value = result.rows
    if (result.unknown.length) {
      result.unknown.forEach((name) => pending.add(name))
      fetchPending()
    }
  })

  // The event-type box filters as you type, after a short pause.
  const eventTypeInput = ref('')
  let eventTypeTimer: ReturnType<typeof setTimeout> | undefined
  watch(eventTypeInput, (value) => {
    clearTimeout(eventTypeTimer)
    eventTypeTimer = setTimeout(() => (filters.eventType = value), EVENT_TYPE_DEBOUNCE_MS)
  })
  watch(() => ({ ...filters }), () => load())

  const webhooks = webhookListResource()
  const webhookOptions = computed(() => (webhooks.data ?? []).map((w) => ({ label: w.title || w.name, value: w.name })))
  const titles = computed(() => new Map(webhookOptions.value.map((o) => [o.value, o.label])))
  /** The webhook's title as desk shows it; its id until the list has it (or for one past the first 500). */
  const webhookTitle = (name: string) => titles.value.get(name) ?? name

  const streams = streamListResource()
  const streamTitles = computed(() => new Map((streams.data ?? []).map((s) => [s.name, s.title || s.name])))
  const streamTitle = (name: string) => streamTitles.value.get(name) ?? name
  /** One select for where deliveries went: every webhook, then every stream. */
  const targetOptions = computed(() => [
    ...webhookOptions.value.map((o) => ({ label: o.label, value: `webhook:${o.value}` })),
    ...[...streamTitles.value].map(([name, title]) => ({ label: __('Stream: {0}', [title]), value: `stream:${name}` })),
  ])
  const target = computed({
    get: () => targetFilterValue(filters),
    set: (value: string) => Object.assign(filters, fromTargetFilterValue(value)),
  })

  onMounted(() => {
    load()
    webhooks.fetch().catch(() => null)
    streams.fetch().catch(() => null)
  })
  onBeforeUnmount(() => clearTimeout(eventTypeTimer))

  const openName = computed(() => (typeof route.query.delivery === 'string' ? route.query.delivery : null))
  function openDelivery(name: string | null) {
    const query = { ...route.query }
    if (name) query.delivery = name
    else delete query.delivery
    router.replace({ query })
  }

  return {
    filters,
    eventTypeInput,
    webhookOptions,
    webhookTitle,
    streamTitle,
    targetOptions,
    target,
    rows,
    hasMore,
    loading: computed(() => list.loading),
    error: computed(() => errorText(list.error)),
    reload: () => load(),
    loadMore: () => load(rows.value.length),
    openName,
    openDelivery,
  }
}
