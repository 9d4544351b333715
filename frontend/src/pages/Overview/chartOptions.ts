/** Shaping `delivery_overview` buckets into a stacked per-minute bar chart. */
import type { BarChartOptions } from '../../components/BarChart.vue'
import { __ } from '../../translate'
import type { OverviewBucket } from '../../types/api'

export const RESULTS = ['succeeded', 'failed', 'retrying'] as const
export type Result = (typeof RESULTS)[number]

const COLORS: Record<Result, string> = { succeeded: '#46B37E', failed: '#E03636', retrying: '#E79913' }
const LABELS: Record<Result, string> = { succeeded: __('Succeeded'), failed: __('Failed'), retrying: __('Retrying') }

export interface ChartSeries {
  /** `HH:MM` of each minute, oldest first. */
  labels: string[]
  values: Record<Result, number[]>
  total: number
}

const MINUTE = 60_000

/** `YYYY-MM-DD HH:MM` → minutes since the epoch, reading the wall-clock time as UTC. */
function minuteIndex(minute: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/.exec(minute)
  if (!m) return null
  const [, y, mo, d, h, mi] = m.map(Number) as number[]
  return Date.UTC(y!, mo! - 1, d!, h!, mi!) / MINUTE
}

function label(index: number): string {
  const date = new Date(index * MINUTE)
  return `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`
}

/**
 * One entry per minute from the first bucket to the last: buckets are sorted, minutes the
 * server left out become zeros, repeated minutes are added up, malformed ones are dropped.
 */
export function shapeBuckets(buckets: OverviewBucket[]): ChartSeries {
  const byMinute = new Map<number, Record<Result, number>>()
  for (const bucket of buckets) {
    const index = minuteIndex(bucket.minute)
    if (index === null) continue
    const sum = byMinute.get(index) ?? { succeeded: 0, failed: 0, retrying: 0 }
    for (const result of RESULTS) sum[result] += bucket[result] || 0
    byMinute.set(index, sum)
  }
  const series: ChartSeries = { labels: [], values: { succeeded: [], failed: [], retrying: [] }, total: 0 }
  if (!byMinute.size) return series
  const first = Math.min(...byMinute.keys())
  const last = Math.max(...byMinute.keys())
  for (let index = first; index <= last; index++) {
    series.labels.push(label(index))
    const sum = byMinute.get(index)
    for (const result of RESULTS) {
      const value = sum?.[result] ?? 0
      series.values[result].push(value)
      series.total += value
    }
  }
  return series
}

export function overviewChartOptions(series: ChartSeries): BarChartOptions {
  return {
    animation: false,
    color: RESULTS.map((result) => COLORS[result]),
    grid: { top: 36, right: 16, bottom: 28, left: 44 },
    legend: { top: 0, right: 0, icon: 'circle', itemWidth: 8, itemHeight: 8, textStyle: { color: '#525252', fontSize: 12 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'category',
      data: series.labels,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: '#E2E2E2' } },
      axisLabel: { color: '#7C7C7C', fontSize: 11, hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      splitLine: { lineStyle: { color: '#F3F3F3' } },
      axisLabel: { color: '#7C7C7C', fontSize: 11 },
    },
    series: RESULTS.map((result) => ({
      name: LABELS[result],
      type: 'bar' as const,
      stack: 'deliveries',
      barMaxWidth: 18,
      data: series.values[result],
    })),
  }
}
