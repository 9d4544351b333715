import type { BarChartOptions } from '../../components/BarChart.vue'
import { __ } from '../../translate'
import type { RatePoint } from './rates'

/** Stacked bars: successful calls and errors per second, one bar per poll. */
export function rateChartOptions(points: RatePoint[]): BarChartOptions {
  const labels = points.map((p) => new Date(p.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }))
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    animation: false,
    grid: { left: 36, right: 8, top: 8, bottom: 20 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: labels, axisLabel: { show: false } },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    series: [
      { name: __('Calls/s'), type: 'bar', stack: 'rate', data: points.map((p) => round(p.ok_per_s)), itemStyle: { color: '#30a66d' } },
      { name: __('Errors/s'), type: 'bar', stack: 'rate', data: points.map((p) => round(p.errors_per_s)), itemStyle: { color: '#e03636' } },
    ],
  }
}
