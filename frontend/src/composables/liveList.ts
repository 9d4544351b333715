/**
 * Keeping a log live from a realtime event that carries its changed rows (`{items: [row]}`, the
 * site publishes a row after each committed change: Payments, Messages). Messages can arrive out
 * of order, so a row is replaced only by one at least as new (`modified`); new rows that pass the
 * page's filters go on top, rows that no longer pass them leave.
 */

export interface LiveRow {
  name: string
  /** Frappe's `modified` (`YYYY-MM-DD HH:mm:ss[.ffffff]`): sorts as text. */
  modified: string
}

/** The most rows a live log keeps; older ones drop off the end. */
export const MAX_LIVE_ROWS = 500

export function mergeLive<Row extends LiveRow>(rows: Row[], items: Row[], keep: (row: Row) => boolean): Row[] {
  const next = [...rows]
  for (const item of items) {
    const index = next.findIndex((row) => row.name === item.name)
    const known = next[index]
    if (known) {
      if (item.modified < known.modified) continue
      if (keep(item)) next[index] = item
      else next.splice(index, 1)
    } else if (keep(item)) {
      next.unshift(item)
    }
  }
  return next.slice(0, MAX_LIVE_ROWS)
}
