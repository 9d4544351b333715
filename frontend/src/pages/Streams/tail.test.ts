import { describe, expect, it } from 'vitest'
import type { StreamTailEvent } from '../../types/api'
import { mergeTail } from './tail'

const event = (name: string, created_at: string, acked: 0 | 1 = 0): StreamTailEvent => ({
  name,
  event_type: 'todo.created',
  reference_doctype: 'ToDo',
  reference_name: name,
  created_at,
  status: acked ? 'Succeeded' : 'Queued',
  acked,
  payload: {},
})

describe('mergeTail', () => {
  it('puts the newest first and keeps each event once, with its latest state', () => {
    const shown = [event('msg_2', '2026-11-30T10:00:02Z'), event('msg_1', '2026-11-30T10:00:01Z')]
    const latest = [event('msg_3', '2026-11-30T10:00:03Z'), event('msg_2', '2026-11-30T10:00:02Z', 1)]
    const merged = mergeTail(shown, latest, 10)
    expect(merged.map((e) => e.name)).toEqual(['msg_3', 'msg_2', 'msg_1'])
    expect(merged[1]!.acked).toBe(1)
  })

  it('orders events of the same instant by message id, newest first', () => {
    const merged = mergeTail([], [event('msg_a', '2026-11-30T10:00:00Z'), event('msg_b', '2026-11-30T10:00:00Z')], 10)
    expect(merged.map((e) => e.name)).toEqual(['msg_b', 'msg_a'])
  })

  it('keeps rows that fell out of the latest page, up to the bound', () => {
    const shown = [event('msg_1', '2026-11-30T10:00:01Z')]
    const latest = [event('msg_3', '2026-11-30T10:00:03Z'), event('msg_2', '2026-11-30T10:00:02Z')]
    expect(mergeTail(shown, latest, 10).map((e) => e.name)).toEqual(['msg_3', 'msg_2', 'msg_1'])
    expect(mergeTail(shown, latest, 2).map((e) => e.name)).toEqual(['msg_3', 'msg_2'])
  })
})
