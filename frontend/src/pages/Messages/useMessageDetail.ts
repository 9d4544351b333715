import { computed, watch, type Ref } from 'vue'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import { messageDetailResource } from '../../data/messages'
import type { MessageRealtimeMessage } from '../../types/api'
import { messageTimeline } from './timeline'

const LIVE_REFRESH_MS = 1000

/** The open message with its events, read again (at most once a second) when it changes. */
export function useMessageDetail(name: Ref<string | null>) {
  const detail = messageDetailResource()

  function load() {
    if (name.value) detail.fetch({ name: name.value }).catch(() => null)
  }
  watch(name, (value) => (value ? load() : detail.reset()), { immediate: true })

  const reloadLive = useThrottle(load, LIVE_REFRESH_MS)
  useRealtime<MessageRealtimeMessage>('integrations_message', (message) => {
    if (name.value && message?.items?.some((row) => row.name === name.value)) reloadLive()
  })

  return {
    detail,
    error: computed(() => errorText(detail.error)),
    timeline: computed(() => (detail.data ? messageTimeline(detail.data) : [])),
    reload: load,
  }
}
