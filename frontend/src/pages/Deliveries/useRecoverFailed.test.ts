import { describe, expect, it } from 'vitest'
import { RECOVER_WINDOWS } from './useRecoverFailed'

describe('recover failed windows', () => {
  it('offers relative windows in hours, so no browser time is sent', () => {
    expect(RECOVER_WINDOWS.map((w) => Number(w.value))).toEqual([1, 6, 24, 72])
    for (const window of RECOVER_WINDOWS) expect(window.label).toMatch(/^Last /)
  })
})
