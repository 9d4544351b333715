import type { ConnectionCounters } from '../../types/api'

/** One chart point: calls and errors per second between two polls. */
export interface RatePoint {
  at: number
  ok_per_s: number
  errors_per_s: number
}

export const MAX_POINTS = 30

/**
 * The next series from two readings of monotonic counters. A counter that went down means the
 * sidecar restarted: that interval is skipped rather than drawn as a negative rate.
 */
export function nextRates(
  series: RatePoint[],
  previous: { at: number; counters: ConnectionCounters } | undefined,
  current: { at: number; counters: ConnectionCounters },
): RatePoint[] {
  if (!previous) return series
  const seconds = (current.at - previous.at) / 1000
  const calls = current.counters.calls - previous.counters.calls
  const errors = current.counters.errors - previous.counters.errors
  if (seconds <= 0 || calls < 0 || errors < 0) return series
  const point = { at: current.at, ok_per_s: (calls - errors) / seconds, errors_per_s: errors / seconds }
  return [...series, point].slice(-MAX_POINTS)
}
