import { describe, expect, it } from 'vitest'
import { MAX_LIVE_ROWS, mergeLive, type LiveRow } from './liveList'

interface Row extends LiveRow {
  status: string
}
const row = (name: string, status: string, modified: string): Row => ({ name, status, modified })
const all = () => true
const only = (status: string) => (r: Row) => r.status === status

describe('mergeLive', () => {
  it('updates a known row and puts new ones on top', () => {
    const rows = [row('a', 'Pending', '2026-12-01 00:00:01')]
    const next = mergeLive(rows, [row('a', 'Succeeded', '2026-12-01 00:00:02'), row('b', 'Pending', '2026-12-01 00:00:03')], all)
    expect(next.map((r) => [r.name, r.status])).toEqual([
      ['b', 'Pending'],
      ['a', 'Succeeded'],
    ])
    expect(rows[0]!.status).toBe('Pending') // not mutated
  })

  it('ignores an older message arriving after a newer one', () => {
    const rows = [row('a', 'Succeeded', '2026-12-01 00:00:05.100000')]
    expect(mergeLive(rows, [row('a', 'Pending', '2026-12-01 00:00:05')], all)[0]!.status).toBe('Succeeded')
  })

  it('keeps the filter: rows that leave it go, new rows outside it never come', () => {
    const rows = [row('a', 'Pending', '1')]
    expect(mergeLive(rows, [row('a', 'Succeeded', '2'), row('b', 'Succeeded', '2')], only('Pending'))).toEqual([])
    expect(mergeLive([], [row('c', 'Pending', '3')], only('Pending')).map((r) => r.name)).toEqual(['c'])
  })

  it('keeps at most MAX_LIVE_ROWS rows', () => {
    const many = Array.from({ length: MAX_LIVE_ROWS }, (_, i) => row(`r${i}`, 'Pending', '1'))
    const next = mergeLive(many, [row('new', 'Pending', '2')], all)
    expect(next).toHaveLength(MAX_LIVE_ROWS)
    expect(next[0]!.name).toBe('new')
  })
})
