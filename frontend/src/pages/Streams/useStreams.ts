import { computed, onBeforeUnmount, onMounted, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { errorText } from '../../data/client'
import {
  createTokenResource,
  revokeTokenResource,
  streamConsumersResource,
  streamListResource,
  streamTailResource,
  streamTokensResource,
} from '../../data/streams'
import type { CreatedStreamToken, StreamTailEvent } from '../../types/api'
import { mergeTail, withTailLastEvent } from './tail'

/**
 * How often the open stream's tail and consumers are read. The tail is Frappe's own outbox rows
 * for the stream (what Frappe fed it, and whether the sidecar has appended each): polling them
 * needs no route from the browser to the sidecar, no token in the browser, and costs a document
 * save nothing, where a realtime push per event would be paid by every save.
 */
export const TAIL_POLL_MS = 2000
export const CONSUMERS_POLL_MS = 5000
/** Events kept on screen. */
export const TAIL_KEEP = 100

export function useStreams() {
  const route = useRoute()
  const router = useRouter()
  const streams = streamListResource()
  const tokens = streamTokensResource()
  const tail = streamTailResource()
  const consumers = streamConsumersResource()
  const creator = createTokenResource()
  const revoker = revokeTokenResource()

  const selected = computed(() => (typeof route.query.stream === 'string' ? route.query.stream : null))
  const events = ref<StreamTailEvent[]>([])
  const paused = ref(false)
  const openEvent = ref<string | null>(null)
  const created = ref<CreatedStreamToken | null>(null)
  const actionError = ref('')
  const busy = ref(false)

  const loadStreams = () => streams.fetch().catch(() => null)
  const loadTokens = () => (selected.value ? tokens.fetch({ stream: selected.value }).catch(() => null) : null)

  async function pollTail() {
    const stream = selected.value
    if (!stream || paused.value) return
    const latest = await tail.fetch({ stream }).catch(() => null)
    if (!latest || stream !== selected.value) return
    events.value = mergeTail(events.value, latest, TAIL_KEEP)
    if (streams.data) {
      const updated = withTailLastEvent(streams.data, stream, latest)
      if (updated !== streams.data) streams.setData(updated)
    }
  }
  const pollConsumers = () => (selected.value ? consumers.fetch({ stream: selected.value }).catch(() => null) : null)

  /** Opening a stream closes the open connector (one detail pane). */
  function select(stream: string) {
    const { connector: _connector, ...rest } = route.query
    router.replace({ query: { ...rest, stream } })
  }

  watch(
    selected,
    () => {
      events.value = []
      openEvent.value = null
      created.value = null
      actionError.value = ''
      loadTokens()
      pollTail()
      pollConsumers()
    },
    { immediate: false },
  )

  let tailTimer: ReturnType<typeof setInterval> | undefined
  let consumersTimer: ReturnType<typeof setInterval> | undefined
  onMounted(async () => {
    await loadStreams()
    if (!selected.value && !route.query.connector && streams.data?.length) select(streams.data[0]!.name)
    else if (selected.value) {
      loadTokens()
      pollTail()
      pollConsumers()
    }
    tailTimer = setInterval(pollTail, TAIL_POLL_MS)
    consumersTimer = setInterval(pollConsumers, CONSUMERS_POLL_MS)
  })
  onBeforeUnmount(() => {
    clearInterval(tailTimer)
    clearInterval(consumersTimer)
  })

  async function run(action: () => Promise<unknown>) {
    busy.value = true
    actionError.value = ''
    try {
      await action()
    } catch (error) {
      actionError.value = errorText(error as Error)
    } finally {
      busy.value = false
    }
  }

  /** The answer holds the token: kept in `created` only until the dialog is closed. */
  /** `filter`: only events whose data has `value` at the dot path `field` reach the token's consumers. */
  const createToken = (label: string, expiresInDays: number | null, filter: { field: string; value: string } | null = null) =>
    run(async () => {
      const stream = selected.value
      if (!stream) return
      const args = {
        stream,
        label,
        ...(expiresInDays ? { expires_in_days: expiresInDays } : {}),
        ...(filter ? { filter_field: filter.field, filter_value: filter.value } : {}),
      }
      created.value = await creator.submit(args)
      await Promise.all([loadTokens(), loadStreams()])
    })

  const forgetCreated = () => {
    created.value = null
  }

  const revoke = (token: string) =>
    run(async () => {
      await revoker.submit({ token })
      await Promise.all([loadTokens(), loadStreams()])
    })

  return {
    streams,
    streamsError: computed(() => errorText(streams.error)),
    selected,
    current: computed(() => streams.data?.find((s) => s.name === selected.value) ?? null),
    select,
    tokens,
    tokensError: computed(() => errorText(tokens.error)),
    events,
    tailError: computed(() => errorText(tail.error)),
    paused,
    togglePaused: () => {
      paused.value = !paused.value
      if (!paused.value) pollTail()
    },
    openEvent,
    consumers,
    created,
    forgetCreated,
    createToken,
    revoke,
    busy,
    actionError,
    loadStreams,
  }
}
