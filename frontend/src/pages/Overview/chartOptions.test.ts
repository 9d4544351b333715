import { describe, expect, it } from 'vitest'
import { overviewChartOptions, shapeBuckets } from './chartOptions'

describe('shapeBuckets', () => {
  it('sorts minutes and fills the gaps with zeros', () => {
    const series = shapeBuckets([
      { minute: '2025-01-01 10:03', succeeded: 4, failed: 1, retrying: 0 },
      { minute: '2025-01-01 10:00', succeeded: 2, failed: 0, retrying: 1 },
    ])
    expect(series.labels).toEqual(['10:00', '10:01', '10:02', '10:03'])
    expect(series.values).toEqual({ succeeded: [2, 0, 0, 4], failed: [0, 0, 0, 1], retrying: [1, 0, 0, 0] })
    expect(series.total).toBe(8)
  })

  it('crosses midnight and adds up repeated minutes', () => {
    const series = shapeBuckets([
      { minute: '2025-01-01 23:59', succeeded: 1, failed: 0, retrying: 0 },
      { minute: '2025-01-02 00:00', succeeded: 1, failed: 0, retrying: 0 },
      { minute: '2025-01-02 00:00', succeeded: 2, failed: 3, retrying: 0 },
    ])
    expect(series.labels).toEqual(['23:59', '00:00'])
    expect(series.values.succeeded).toEqual([1, 3])
    expect(series.values.failed).toEqual([0, 3])
  })

  it('returns an empty series for no or malformed buckets', () => {
    expect(shapeBuckets([]).labels).toEqual([])
    expect(shapeBuckets([{ minute: 'yesterday', succeeded: 1, failed: 0, retrying: 0 }]).total).toBe(0)
  })
})

describe('overviewChartOptions', () => {
  it('stacks one bar series per result', () => {
    const options = overviewChartOptions(shapeBuckets([{ minute: '2025-01-01 10:00', succeeded: 2, failed: 1, retrying: 0 }]))
    const series = options.series as { name: string; type: string; stack: string; data: number[] }[]
    expect(series.map((s) => [s.name, s.type, s.stack])).toEqual([
      ['Succeeded', 'bar', 'deliveries'],
      ['Failed', 'bar', 'deliveries'],
      ['Retrying', 'bar', 'deliveries'],
    ])
    expect(series.map((s) => s.data)).toEqual([[2], [1], [0]])
    expect(options.xAxis).toMatchObject({ data: ['10:00'] })
  })
})
