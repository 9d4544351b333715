import { computed } from 'vue'
import { useLiveList } from '../../composables/useLiveList'
import { useQueryParam } from '../../composables/useQueryParam'
import { errorText } from '../../data/client'
import { connectionListResource } from '../../data/connections'
import { MESSAGE_CHANNELS, MESSAGE_STATUSES, matchesMessageFilters, messageListArgs, messageListResource, type MessageFilters } from '../../data/messages'
import type { MessageRow } from '../../types/api'

/** The Messages log: filters in the URL (`?status=`, `?channel=`, `?connection=`), `?message=` the one open. */
export function useMessages() {
  const list = messageListResource()
  const connections = connectionListResource()
  connections.fetch().catch(() => null)

  const status = useQueryParam('status', MESSAGE_STATUSES)
  const channel = useQueryParam('channel', MESSAGE_CHANNELS)
  const connection = useQueryParam('connection')
  const open = useQueryParam('message')
  const filters = computed<MessageFilters>(() => ({ status: status.value.value, channel: channel.value.value, connection: connection.value.value }))

  const { rows, load } = useLiveList<MessageRow>({
    event: 'integrations_message',
    fetch: () => list.submit(messageListArgs(filters.value)),
    keep: (row) => matchesMessageFilters(row, filters.value),
    filters: () => JSON.stringify(filters.value),
  })

  /** Email and SMS connections, and the one in the URL even if it is gone. */
  const connectionNames = computed(() => {
    const names = (connections.data ?? []).filter((c) => c.area === 'email' || c.area === 'sms').map((c) => c.name)
    const chosen = connection.value.value
    return chosen && !names.includes(chosen) ? [...names, chosen] : names
  })

  return {
    list,
    rows,
    listError: computed(() => errorText(list.error)),
    load,
    filters,
    setStatus: status.set,
    setChannel: channel.set,
    setConnection: connection.set,
    connectionNames,
    openName: open.value,
    setOpen: open.set,
  }
}
