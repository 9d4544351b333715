import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { h, nextTick } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { translation } from '../translate'
import DetailFrame from './DetailFrame.vue'

// frappe-ui's Button needs a router
const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { render: () => null } }] })

interface Row {
  name: string
  title: string
}
type Props = { open: boolean; data: Row | null; loading: boolean; error: string }

function render(props: Partial<Props> = {}) {
  return mount(DetailFrame, {
    props: { open: true, size: '3xl', data: null, loading: false, error: '', 'data-testid': 'the-detail', ...props },
    slots: {
      header: () => h('h2', { 'data-testid': 'frame-header' }, 'Header'),
      default: (scope: { data: unknown }) => {
        const row = scope.data as Row
        return h('p', { 'data-testid': 'frame-content' }, `${row.name}: ${row.title}`)
      },
    },
    global: { plugins: [translation, router] },
    attachTo: document.body,
  })
}
// the dialog is teleported to the body
const body = () => document.querySelector('[data-testid="the-detail"]')
const find = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)
const settle = async () => {
  await nextTick()
  await new Promise((ok) => setTimeout(ok))
}

let mounted: ReturnType<typeof render> | null = null
afterEach(() => {
  mounted?.unmount()
  mounted = null
})

describe('DetailFrame', () => {
  it('says it is loading under the header until the record is read, then shows the record', async () => {
    mounted = render({ loading: true })
    await settle()
    expect(body()).not.toBeNull()
    expect(find('frame-header')?.textContent).toBe('Header')
    expect(body()!.textContent).toContain('Loading…')
    expect(find('frame-content')).toBeNull()

    await mounted.setProps({ loading: false, data: { name: 'DEL-1', title: 'Order placed' } })
    await settle()
    expect(find('frame-content')?.textContent).toBe('DEL-1: Order placed')
    expect(body()!.textContent).not.toContain('Loading…')
    expect(body()!.querySelector('[role="alert"]')).toBeNull()
  })

  it('keeps the record on screen while it is read again', async () => {
    mounted = render({ loading: true, data: { name: 'DEL-1', title: 'Order placed' } })
    await settle()
    expect(find('frame-content')?.textContent).toBe('DEL-1: Order placed')
    expect(body()!.textContent).not.toContain('Loading…')
  })

  it('shows a failed read with its whole message and a Retry that asks to read again, not the stale record', async () => {
    mounted = render({ error: 'No such delivery\nAsk an administrator', data: { name: 'DEL-1', title: 'stale' } })
    await settle()
    const alert = body()!.querySelector('[role="alert"]')!
    expect(alert.textContent).toContain('No such delivery\nAsk an administrator')
    expect(find('frame-content')).toBeNull()
    const retry = [...alert.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Retry')!
    retry.click()
    retry.click()
    expect(mounted.emitted('retry')).toHaveLength(2)
  })

  it('says there is nothing to show when the read answered without a record', async () => {
    mounted = render({ loading: false, data: null })
    await settle()
    expect(find('detail-empty')?.textContent).toContain('Nothing to show.')
    expect(body()!.textContent).not.toContain('Loading…')
  })

  it('is closed when not open, and asks to close on Escape', async () => {
    mounted = render({ open: false, data: { name: 'DEL-1', title: 'Order placed' } })
    await settle()
    expect(body()).toBeNull()
    await mounted.setProps({ open: true })
    await settle()
    expect(find('frame-content')).not.toBeNull()
    document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await settle()
    // frappe-ui's Dialog reports a close more than once (Escape, then the open state): each asks the same
    expect(mounted.emitted('close')?.length).toBeGreaterThan(0)
    expect(mounted.emitted('retry')).toBeUndefined()
  })
})
