import type { StreamTailEvent } from '../../types/api'

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

