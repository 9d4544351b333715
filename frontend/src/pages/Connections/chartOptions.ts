import type { BarChartOptions } from '../../components/BarChart.vue'
import { __ } from '../../translate'
import type { MinutePoint } from '../../types/api'

/** Stacked bars per minute: successful calls and errors (every sidecar process); a minute in
 * which the circuit was open is labelled so in the tooltip. */
export function minuteChartOptions(points: MinutePoint[]): BarChartOptions {
  const labels = points.map((p) => {
    const time = new Date(p.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    return p.breaker === 'open' ? __('{0} (circuit open)', [time]) : time
  })
  return {
    animation: false,
    grid: { left: 36, right: 8, top: 8, bottom: 20 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: labels, axisLabel: { show: false } },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    series: [
      { name: __('Calls'), type: 'bar', stack: 'calls', data: points.map((p) => p.calls - p.errors), itemStyle: { color: '#30a66d' } },
      { name: __('Errors'), type: 'bar', stack: 'calls', data: points.map((p) => p.errors), itemStyle: { color: '#e03636' } },
    ],
  }
}
