import { onMounted, ref, watch, type Ref, type WatchSource } from 'vue'
import type { RowsMessage } from '../types/api'
import { mergeLive, type LiveRow } from './liveList'
import { useRealtime } from './useRealtime'

export interface LiveListOptions<Row extends LiveRow> {
  /** The realtime event carrying `{items: Row[]}`. */
  event: string
  /** Fetch the rows for the current filters (null when the call failed: the rows stay). */
  fetch: () => Promise<Row[] | null | undefined>
  /** Whether a row belongs in the log under the current filters. */
  keep: (row: Row) => boolean
  /** The filters: the log is fetched again when they change. */
  filters: WatchSource
}

/**
 * A log fetched on mount and on each filter change, kept live by a realtime event. Items that
 * arrive while a fetch is out are applied on top of its answer (it may predate them), and an
 * answer overtaken by a newer fetch (the filters changed again) is dropped.
 */
export function useLiveList<Row extends LiveRow>(options: LiveListOptions<Row>) {
  const rows = ref<Row[]>([]) as Ref<Row[]>
  let latest = 0
  let fetching = false
  let arrived: Row[] = []

  async function load() {
    const call = ++latest
    fetching = true
    arrived = []
    const fetched = await options.fetch().catch(() => null)
    if (call !== latest) return
    fetching = false
    if (fetched) rows.value = mergeLive(fetched, arrived, options.keep)
    arrived = []
  }
  onMounted(load)
  watch(options.filters, load)

  function merge(items: Row[]) {
    if (fetching) arrived.push(...items)
    rows.value = mergeLive(rows.value, items, options.keep)
  }
  useRealtime<RowsMessage<Row>>(options.event, (message) => {
    if (Array.isArray(message?.items)) merge(message.items)
  })

  return { rows, load, merge }
}
