import { describe, expect, it } from 'vitest'
import { minuteChartOptions } from './chartOptions'

const point = (minute: string, calls: number, errors: number, breaker: 'closed' | 'open' | null = null) => ({ minute, calls, errors, p95_ms: null, breaker })

describe('minuteChartOptions', () => {
  it('stacks successful calls and errors, one bar per minute, oldest first', () => {
    const options = minuteChartOptions([point('2026-11-30T10:00:00.000Z', 0, 0), point('2026-11-30T10:01:00.000Z', 12, 3, 'closed')]) as any
    expect(options.series[0].data).toEqual([0, 9])
    expect(options.series[1].data).toEqual([0, 3])
    expect(options.xAxis.data).toHaveLength(2)
  })

  it('marks a minute in which the circuit was open', () => {
    const options = minuteChartOptions([point('2026-11-30T10:00:00.000Z', 2, 2, 'open'), point('2026-11-30T10:01:00.000Z', 1, 0, 'closed')]) as any
    expect(options.xAxis.data[0]).toMatch(/circuit open/)
    expect(options.xAxis.data[1]).not.toMatch(/circuit open/)
  })
})
