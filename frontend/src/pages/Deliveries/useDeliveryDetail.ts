import { toast } from 'frappe-ui'
import { computed, watch, type Ref } from 'vue'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import { deliveryDetailResource, replayDeliveryResource } from '../../data/deliveries'
import { prettyJson } from '../../format'
import { __ } from '../../translate'
import type { DeliveryRealtimeMessage } from '../../types/api'
import type { IntegrationWebhookDeliveryAttempt } from '../../types/doctypes'

const LIVE_REFRESH_MS = 1000

/** Request headers of an attempt (JSON text in the attempt row) as `[name, value]` pairs. */
export function headerEntries(headers: IntegrationWebhookDeliveryAttempt['request_headers']): [string, string][] {
  let parsed: unknown = headers
  if (typeof headers === 'string') {
    try {
      parsed = JSON.parse(headers)
    } catch {
      return []
    }
  }
  if (!parsed || typeof parsed !== 'object') return []
  return Object.entries(parsed as Record<string, unknown>).map(([name, value]) => [name, String(value)])
}

export function useDeliveryDetail(name: Ref<string | null>) {
  const detail = deliveryDetailResource()
  const replayCall = replayDeliveryResource()

  function load() {
    if (name.value) detail.fetch({ delivery: name.value }).catch(() => null)
  }
  watch(name, (value) => (value ? load() : detail.reset()), { immediate: true })

  const reloadLive = useThrottle(load, LIVE_REFRESH_MS)
  useRealtime<DeliveryRealtimeMessage>('integrations_delivery', (message) => {
    if (name.value && message.items.some((outcome) => outcome.message_id === name.value)) reloadLive()
  })

  async function replay() {
    if (!name.value) return
    try {
      await replayCall.submit({ delivery: name.value })
      toast.success(__('Replay queued: a new attempt will be made'))
      load()
    } catch (error) {
      toast.error(errorText(error as Error) || __('Could not replay the delivery'))
    }
  }

  // Newest attempt first.
  const attempts = computed(() => [...(detail.data?.attempts ?? [])].sort((a, b) => (b.attempt_no ?? 0) - (a.attempt_no ?? 0)))
  const payload = computed(() => prettyJson(detail.data?.payload))

  return {
    detail,
    error: computed(() => errorText(detail.error)),
    attempts,
    payload,
    replay,
    replaying: computed(() => replayCall.loading),
    reload: load,
  }
}
