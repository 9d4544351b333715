import { toast } from 'frappe-ui'
import { computed, ref } from 'vue'
import { errorText } from '../../data/client'
import { recoverFailedResource } from '../../data/deliveries'
import { frappeDatetime } from '../../format'

const DAY_MS = 86_400_000

/** `YYYY-MM-DDTHH:mm` for a datetime-local input. */
function inputValue(date: Date): string {
  return frappeDatetime(date).slice(0, 16).replace(' ', 'T')
}

/** "Recover failed since…": requeue a webhook's failed deliveries created since a time. */
export function useRecoverFailed(onDone: () => void) {
  const call = recoverFailedResource()
  const webhook = ref('')
  const since = ref(inputValue(new Date(Date.now() - DAY_MS)))

  function reset(initialWebhook: string) {
    webhook.value = initialWebhook
    since.value = inputValue(new Date(Date.now() - DAY_MS))
  }

  async function submit() {
    try {
      const result = await call.submit({ webhook: webhook.value, since: `${since.value.replace('T', ' ')}:00` })
      const requeued = result?.requeued ?? 0
      toast.success(requeued ? `Requeued ${requeued} failed ${requeued === 1 ? 'delivery' : 'deliveries'}` : 'No failed deliveries since then')
      onDone()
    } catch (error) {
      toast.error(errorText(error as Error) || 'Could not recover failed deliveries')
    }
  }

  return {
    webhook,
    since,
    reset,
    submit,
    submitting: computed(() => call.loading),
    canSubmit: computed(() => Boolean(webhook.value && since.value)),
  }
}
