import type { StreamRow, StreamTailEvent } from '../../types/api'

/**
 * The events on screen after a poll: the newest first, each once (a poll returns the latest rows
 * again, with their current `acked`), at most `keep`. Rows polled earlier that fell out of the
 * latest page stay, so a burst longer than one page is not cut from the view.
 */
export function mergeTail(shown: StreamTailEvent[], latest: StreamTailEvent[], keep: number): StreamTailEvent[] {
  const byName = new Map(shown.map((e) => [e.name, e]))
  for (const event of latest) byName.set(event.name, event)
  return [...byName.values()]
    .sort((a, b) => (a.created_at === b.created_at ? b.name.localeCompare(a.name) : b.created_at.localeCompare(a.created_at)))
    .slice(0, keep)
}


/**
 * The stream list with `stream`'s last event moved up to the newest event its tail shows. The
 * list is read once (its last event is the newest outbox row then), the tail every poll: without
 * this the list says "no events yet" beside a tail full of them. Never moves a time back; the
 * same array when nothing changes.
 */
export function withTailLastEvent(streams: StreamRow[], stream: string, tail: StreamTailEvent[]): StreamRow[] {
  const newest = tail.reduce<string | null>((at, event) => (at === null || Date.parse(event.created_at) > Date.parse(at) ? event.created_at : at), null)
  if (newest === null) return streams
  let changed = false
  const next = streams.map((row) => {
    if (row.name !== stream || (row.last_event_at && Date.parse(row.last_event_at) >= Date.parse(newest))) return row
    changed = true
    return { ...row, last_event_at: newest }
  })
  return changed ? next : streams
}
