import type { FrappeRequestError } from 'frappe-ui'

/** A `frappe.client.get_list` filter value: a plain value, or `[operator, value]`. */
export type FilterValue = string | number | [string, string | number | string[]]

/** The exact body the SPA posts to `frappe.client.get_list` (recorded fixtures key on it). */
export interface GetListArgs {
  doctype: string
  fields: string[]
  filters: Record<string, FilterValue>
  order_by: string
  limit_start: number
  limit_page_length: number
}

export const GET_LIST = 'frappe.client.get_list'

/**
 * A list row of DocType `T`: the `K` fields get_list returns, with `R` of them always set (the
 * generated DocType types mark every non-mandatory field optional).
 */
export type ListRow<T, K extends keyof T, R extends K = never> = Pick<T, K> & { [P in R]-?: NonNullable<T[P]> }

/** The message a person should read for a failed call (`_server_messages` first). */
export function errorText(error: FrappeRequestError | Error | null | undefined): string {
  if (!error) return ''
  const messages = 'messages' in error ? error.messages : []
  return messages.length ? messages.join('\n') : error.message
}
