import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { translation } from '../../translate'
import type { SyncRun } from '../../types/api'
import RunProgress from './RunProgress.vue'

const run = (extra: Partial<SyncRun> = {}): SyncRun => ({
  name: 'RUN-1',
  run_id: 'r1',
  profile: 'customers',
  kind: 'Incremental',
  status: 'Running',
  phase: 'push',
  started_at: '2026-12-01T00:00:00Z',
  finished_at: null,
  requested_by: null,
  seen: 30,
  total: 120,
  created: 2,
  linked: 1,
  updated: 3,
  deleted: 0,
  skipped: 25,
  failed: 1,
  conflicts: 0,
  error: null,
  progress: 0.25,
  ...extra,
})
const render = (props: { run: SyncRun; compact?: boolean }) => mount(RunProgress, { props, global: { plugins: [translation] } })

describe('RunProgress', () => {
  it('fills the bar to the share of records seen, and says what the run is doing', () => {
    const view = render({ run: run() })
    const bar = view.get('[role="progressbar"]')
    expect(bar.attributes('data-percent')).toBe('25')
    expect(bar.attributes('aria-valuenow')).toBe('25')
    expect(bar.get('div').attributes('style')).toContain('width: 25%')
    expect(view.text()).toContain('pushing local changes')
    expect(view.get('[data-testid="sync-progress-seen"]').text()).toBe('30 of 120 records')
    expect(view.text()).toContain('2 created, 1 linked, 3 updated, 0 deleted, 1 failed, 0 in conflict')
  })

  it('is indeterminate while the total is unknown, and full once the run ended', () => {
    const unknown = render({ run: run({ total: 0, status: 'Queued' }) })
    expect(unknown.get('[role="progressbar"]').attributes('data-percent')).toBe('unknown')
    expect(unknown.get('[role="progressbar"]').attributes('aria-valuenow')).toBeUndefined()
    expect(unknown.text()).toContain('Queued')
    expect(unknown.get('[data-testid="sync-progress-seen"]').text()).toBe('30 records')
    const done = render({ run: run({ status: 'Failed', total: 500 }), compact: true })
    expect(done.get('[role="progressbar"]').attributes('data-percent')).toBe('100')
    expect(done.text()).toContain('100% · 30 records')
  })
})
