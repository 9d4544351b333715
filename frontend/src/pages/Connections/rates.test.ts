import { describe, expect, it } from 'vitest'
import { MAX_POINTS, nextRates } from './rates'

const counters = (calls: number, errors: number) => ({ calls, errors, by_result: {}, breaker: 'closed' as const })

describe('nextRates', () => {
  it('turns two counter readings into calls and errors per second', () => {
    const series = nextRates([], { at: 0, counters: counters(10, 1) }, { at: 5000, counters: counters(60, 11) })
    expect(series).toEqual([{ at: 5000, ok_per_s: 8, errors_per_s: 2 }])
  })

  it('skips an interval in which the sidecar restarted (counters went down)', () => {
    expect(nextRates([], { at: 0, counters: counters(100, 5) }, { at: 5000, counters: counters(3, 0) })).toEqual([])
  })

  it('keeps the last points only', () => {
    let series = nextRates([], undefined, { at: 0, counters: counters(0, 0) })
    for (let i = 1; i <= MAX_POINTS + 5; i++) series = nextRates(series, { at: (i - 1) * 1000, counters: counters(i - 1, 0) }, { at: i * 1000, counters: counters(i, 0) })
    expect(series).toHaveLength(MAX_POINTS)
    expect(series.at(-1)?.at).toBe((MAX_POINTS + 5) * 1000)
  })
})
