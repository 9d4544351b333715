import { describe, expect, it } from 'vitest'
import type { StreamRow, StreamTailEvent } from '../../types/api'
import { mergeTail, withTailLastEvent } from './tail'

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

describe('withTailLastEvent', () => {
  const stream = (name: string, last_event_at: string | null): StreamRow => ({
    name,
    title: name,
    enabled: 1,
    sidecar_synced: 1,
    payload_type: 'Document',
    max_len: 1000,
    max_age_hours: 0,
    sources: [],
    live_tokens: 0,
    last_event_at,
  })

  it("gives a stream listed with no event yet its tail's newest event", () => {
    const streams = [stream('notes', null), stream('todos', '2026-11-30T09:00:00Z')]
    const tail = [event('msg_1', '2026-11-30T10:00:01Z'), event('msg_2', '2026-11-30T10:00:02.500Z')]
    const updated = withTailLastEvent(streams, 'notes', tail)
    expect(updated.map((s) => s.last_event_at)).toEqual(['2026-11-30T10:00:02.500Z', '2026-11-30T09:00:00Z'])
    expect(streams[0]!.last_event_at).toBeNull()
  })

  it('moves a last event forward only, comparing instants rather than text', () => {
    const streams = [stream('todos', '2026-11-30T10:00:05Z')]
    expect(withTailLastEvent(streams, 'todos', [event('msg_1', '2026-11-30T10:00:04.900Z')])).toBe(streams)
    expect(withTailLastEvent(streams, 'todos', [event('msg_2', '2026-11-30T10:00:05.100Z')])[0]!.last_event_at).toBe('2026-11-30T10:00:05.100Z')
  })

  it('leaves the list as it is for an empty tail or a stream not in it', () => {
    const streams = [stream('notes', null)]
    expect(withTailLastEvent(streams, 'notes', [])).toBe(streams)
    expect(withTailLastEvent(streams, 'gone', [event('msg_1', '2026-11-30T10:00:01Z')])).toBe(streams)
  })
})
