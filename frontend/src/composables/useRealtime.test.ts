import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

const fakeSocket = vi.hoisted(() => ({ on: vi.fn(), off: vi.fn() }))
const io = vi.hoisted(() => vi.fn(() => fakeSocket))
vi.mock('socket.io-client', () => ({ io }))

import { realtimeUrl } from '../socket'
import { useRealtime } from './useRealtime'

describe('useRealtime', () => {
  beforeEach(() => {
    fakeSocket.on.mockClear()
    fakeSocket.off.mockClear()
  })

  it('adds the listener on mount and removes the same function on unmount', () => {
    const handler = vi.fn()
    const wrapper = mount(
      defineComponent({
        setup() {
          useRealtime('integrations_delivery', handler)
          return () => h('div')
        },
      }),
    )
    expect(fakeSocket.on).toHaveBeenCalledWith('integrations_delivery', handler)
    expect(fakeSocket.off).not.toHaveBeenCalledWith('integrations_delivery', handler)
    wrapper.unmount()
    expect(fakeSocket.off).toHaveBeenCalledWith('integrations_delivery', handler)
  })

  it('opens one credentialed, reconnecting connection to the site namespace', () => {
    expect(io).toHaveBeenCalledTimes(1)
    expect(io).toHaveBeenCalledWith(expect.stringMatching(/^http:\/\//), expect.objectContaining({ withCredentials: true, reconnection: true }))
  })
})

describe('realtimeUrl', () => {
  it('dials socketio_port when the page has an explicit port', () => {
    expect(realtimeUrl({ protocol: 'http:', hostname: 'erp.localhost', port: '8000' }, { site_name: 'erp.localhost', socketio_port: 9001 })).toBe(
      'http://erp.localhost:9001/erp.localhost',
    )
    expect(realtimeUrl({ protocol: 'http:', hostname: 'erp.localhost', port: '8000' }, {})).toBe('http://erp.localhost:9000/erp.localhost')
  })

  it('uses the page origin behind a proxy (no port)', () => {
    expect(realtimeUrl({ protocol: 'https:', hostname: 'erp.example.com', port: '' }, { site_name: 'site1', socketio_port: 9000 })).toBe(
      'https://erp.example.com/site1',
    )
  })
})
