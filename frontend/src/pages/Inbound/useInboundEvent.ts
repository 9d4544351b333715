import { toast } from 'frappe-ui'
import { computed, watch, type Ref } from 'vue'
import { errorText } from '../../data/client'
import { INBOUND_EVENT_DOCTYPE, inboundEventResource, replayEventResource } from '../../data/inbound'
import { prettyJson } from '../../format'
import { __ } from '../../translate'

export function useInboundEvent(name: Ref<string | null>) {
  const event = inboundEventResource()
  const replayCall = replayEventResource()

  function load() {
    if (name.value) event.fetch({ doctype: INBOUND_EVENT_DOCTYPE, name: name.value }).catch(() => null)
  }
  watch(name, (value) => (value ? load() : event.reset()), { immediate: true })

  async function replay() {
    if (!name.value) return
    try {
      await replayCall.submit({ event: name.value })
      toast.success(__('Event queued to be handled again'))
      load()
    } catch (error) {
      toast.error(errorText(error as Error) || __('Could not replay the event'))
    }
  }

  return {
    event,
    error: computed(() => errorText(event.error)),
    payload: computed(() => prettyJson(event.data?.payload)),
    headers: computed(() => prettyJson(event.data?.headers)),
    replay,
    replaying: computed(() => replayCall.loading),
    reload: load,
  }
}
