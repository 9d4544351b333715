import { toast } from 'frappe-ui'
import { computed, ref } from 'vue'
import { errorText } from '../../data/client'
import { recoverFailedResource } from '../../data/deliveries'

/**
 * The windows offered, in hours. The server turns "the last N hours" into a time itself, so no
 * browser clock or time zone is involved (a wall-clock time from the browser would be read in the
 * site's zone).
 */
export const RECOVER_WINDOWS = [
  { label: 'Last hour', value: '1' },
  { label: 'Last 6 hours', value: '6' },
  { label: 'Last 24 hours', value: '24' },
  { label: 'Last 3 days', value: '72' },
] as const
const DEFAULT_HOURS = '24'

/** "Recover failed since…": requeue a webhook's failed deliveries of the last N hours. */
export function useRecoverFailed(onDone: () => void) {
  const call = recoverFailedResource()
  const webhook = ref('')
  const hours = ref<string>(DEFAULT_HOURS)

  function reset(initialWebhook: string) {
    webhook.value = initialWebhook
    hours.value = DEFAULT_HOURS
  }

  async function submit() {
    try {
      const result = await call.submit({ webhook: webhook.value, hours: Number(hours.value) })
      const requeued = result?.requeued ?? 0
      toast.success(requeued ? `Requeued ${requeued} failed ${requeued === 1 ? 'delivery' : 'deliveries'}` : 'No failed deliveries since then')
      onDone()
    } catch (error) {
      toast.error(errorText(error as Error) || 'Could not recover failed deliveries')
    }
  }

  return {
    webhook,
    hours,
    windows: RECOVER_WINDOWS.map((w) => ({ ...w })),
    reset,
    submit,
    submitting: computed(() => call.loading),
    canSubmit: computed(() => Boolean(webhook.value && Number(hours.value) > 0)),
  }
}
