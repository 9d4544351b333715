import { toast } from 'frappe-ui'
import { computed, onMounted, reactive, ref } from 'vue'
import { useRouter } from 'vue-router'
import { useRealtime } from '../../composables/useRealtime'
import { useThrottle } from '../../composables/useThrottle'
import { errorText } from '../../data/client'
import { failingNowResource, rotateSecretResource, sendTestEventResource, setPausedResource, webhookListResource, type WebhookRow } from '../../data/webhooks'
import { __ } from '../../translate'

/** Health figures move with every delivery; refresh them at most this often. */
const LIVE_REFRESH_MS = 5000

export function useWebhooks() {
  const router = useRouter()
  const list = webhookListResource()
  const failing = failingNowResource()
  const setPaused = setPausedResource()
  const sendTest = sendTestEventResource()
  const rotate = rotateSecretResource()
  /** What each webhook is busy with, by name. */
  const busy = reactive<Record<string, 'pause' | 'test' | 'rotate'>>({})
  /** A secret just rotated, shown once in a dialog; dropped when the dialog closes. */
  const newSecret = ref<{ title: string; secret: string; previousExpiresAt: string } | null>(null)

  const load = () => Promise.all([list.fetch().catch(() => null), failing.fetch().catch(() => null)])
  onMounted(load)
  const reloadLive = useThrottle(load, LIVE_REFRESH_MS)
  useRealtime('integrations_delivery', reloadLive)
  useRealtime('integrations_endpoint_disabled', load)

  async function run(row: WebhookRow, kind: 'pause' | 'test' | 'rotate', action: () => Promise<void>) {
    busy[row.name] = kind
    try {
      await action()
    } catch (error) {
      toast.error(errorText(error as Error) || __('The action failed'))
    } finally {
      delete busy[row.name]
    }
  }

  /** Pause an Active webhook; resume any other (set_paused also re-enables a disabled one). */
  function togglePaused(row: WebhookRow) {
    const paused = row.status === 'Active'
    return run(row, 'pause', async () => {
      const result = await setPaused.submit({ webhook: row.name, paused })
      if (result) list.setData((rows) => (rows ?? []).map((r) => (r.name === row.name ? { ...r, status: result.status } : r)))
      toast.success(paused ? __('{0} paused: events are held until resumed', [row.title]) : __('{0} resumed', [row.title]))
    })
  }

  function sendTestEvent(row: WebhookRow) {
    return run(row, 'test', async () => {
      const result = await sendTest.submit({ webhook: row.name })
      const delivery = result?.delivery
      toast.success(__('Test event queued for {0}', [row.title]), {
        action: delivery ? { label: __('View'), onClick: () => router.push({ path: '/deliveries', query: { delivery } }) } : undefined,
      })
    })
  }

  function rotateSecret(row: WebhookRow) {
    return run(row, 'rotate', async () => {
      const result = await rotate.submit({ webhook: row.name })
      if (result) newSecret.value = { title: row.title, secret: result.secret, previousExpiresAt: result.previous_expires_at }
    })
  }

  return {
    list,
    rows: computed(() => list.data ?? []),
    /** Deliveries failing now, by webhook (a failed count would fall back to 0 while it loads). */
    failing: computed(() => failing.data ?? {}),
    error: computed(() => errorText(list.error)),
    busy,
    load,
    togglePaused,
    sendTestEvent,
    rotateSecret,
    newSecret,
  }
}
