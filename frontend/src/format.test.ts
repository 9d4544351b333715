import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { formatDateTime, frappeDatetime, siteTimeZone, siteWallClock } from './format'

// The browser runs in a zone that is neither UTC nor the site's (RESULTS.md: browser UTC, site
// Asia/Kolkata), so anything that used the browser's clock shows up as wrong.
beforeAll(() => {
  vi.stubEnv('TZ', 'America/Los_Angeles')
})
afterAll(() => {
  vi.unstubAllEnvs()
})
afterEach(() => {
  delete window.time_zone
})

const SITE = 'Asia/Kolkata'

describe('site time zone', () => {
  it('comes from the boot, else the browser', () => {
    window.time_zone = SITE
    expect(siteTimeZone()).toBe(SITE)
    delete window.time_zone
    expect(siteTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
  })
})

describe('frappeDatetime', () => {
  it('writes an instant on the site clock, not the browser clock', () => {
    const instant = new Date('2026-11-29T02:25:32.000Z')
    expect(frappeDatetime(instant, SITE)).toBe('2026-11-29 07:55:32')
    window.time_zone = SITE
    expect(frappeDatetime(instant)).toBe('2026-11-29 07:55:32')
    expect(frappeDatetime(new Date('2026-11-29T20:00:00.000Z'), SITE)).toBe('2026-11-30 01:30:00')
  })
})

describe('formatDateTime', () => {
  it('shows Frappe datetimes as they are (they are site time already)', () => {
    window.time_zone = SITE
    expect(formatDateTime('2026-11-29 07:54:52.123456')).toMatch(/29, 07:54:52$/)
    expect(siteWallClock('2026-11-29 07:54')).toEqual({ year: 2026, month: 11, day: 29, hour: 7, minute: 54, second: 0 })
  })

  it('shows ISO instants from the sidecar on the site clock', () => {
    window.time_zone = SITE
    expect(formatDateTime('2026-11-29T02:24:52.000Z')).toMatch(/29, 07:54:52$/)
    expect(formatDateTime('2026-11-29T20:00:00Z')).toMatch(/30, 01:30:00$/)
  })

  it('puts a live row and a server row for the same moment side by side identically', () => {
    window.time_zone = SITE
    const live = frappeDatetime(new Date('2026-11-29T02:25:32.000Z'))
    expect(formatDateTime(live)).toBe(formatDateTime('2026-11-29 07:55:32.000000'))
  })

  it('has a dash for nothing and for junk', () => {
    expect(formatDateTime(null)).toBe('—')
    expect(formatDateTime('')).toBe('—')
    expect(formatDateTime('soon')).toBe('—')
  })
})
