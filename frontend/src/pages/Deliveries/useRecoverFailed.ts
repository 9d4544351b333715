import { toast } from 'frappe-ui'
import { computed, ref } from 'vue'
import { errorText } from '../../data/client'
import { recoverFailedResource } from '../../data/deliveries'
import { __ } from '../../translate'

/**
 * The windows offered, in hours. The server turns "the last N hours" into a time itself, so no
 * browser clock or time zone is involved (a wall-clock time from the browser would be read in the
 * site's zone).
 */
export const RECOVER_WINDOWS = [
  { label: __('Last hour'), value: '1' },
  { label: __('Last 6 hours'), value: '6' },
  { label: __('Last 24 hours'), value: '24' },
  { label: __('Last 3 days'), value: '72' },
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
      toast.success(
        requeued === 0
          ? __('No failed deliveries since then')
          : requeued === 1
            ? __('Requeued 1 failed delivery')
            : __('Requeued {0} failed deliveries', [requeued]),
      )
      onDone()
    } catch (error) {
      toast.error(errorText(error as Error) || __('Could not recover failed deliveries'))
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
