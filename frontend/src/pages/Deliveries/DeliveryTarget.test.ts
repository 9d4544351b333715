import { mount } from '@vue/test-utils'
import { beforeAll, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { translation } from '../../translate'
import DeliveryTarget from './DeliveryTarget.vue'

const Page = { template: '<div />' }
const router = createRouter({
  history: createMemoryHistory('/integrations'),
  routes: [
    { path: '/deliveries', name: 'Deliveries', component: Page },
    { path: '/streams', name: 'Streams', component: Page },
    { path: '/sync', name: 'Sync', component: Page },
  ],
})
const titles: Record<string, string> = { 'orders-hook': 'Orders to ERP', orders: 'Order events' }
const render = (row: { webhook?: string; stream?: string; sync_profile?: string }) =>
  mount(DeliveryTarget, {
    props: { row, webhookTitle: (n: string) => titles[n] ?? n, streamTitle: (n: string) => titles[n] ?? n },
    global: { plugins: [translation, router] },
  })

describe('DeliveryTarget', () => {
  beforeAll(() => router.push('/deliveries'))

  it("shows a webhook row's webhook by title, its id on hover, no link", () => {
    const view = render({ webhook: 'orders-hook' })
    expect(view.text()).toBe('Orders to ERP')
    expect(view.get('span').attributes('title')).toBe('orders-hook')
    expect(view.find('a').exists()).toBe(false)
  })

  it('says which stream a stream row went to, linked to that stream on the Streams page', async () => {
    const view = render({ webhook: undefined, stream: 'orders' })
    expect(view.text()).toBe('Stream: Order events')
    const link = view.get('a')
    expect(link.attributes('href')).toBe('/integrations/streams?stream=orders')
    await link.trigger('click')
    await new Promise((ok) => setTimeout(ok))
    expect(router.currentRoute.value.fullPath).toBe('/streams?stream=orders')
  })

  it("says which sync profile a sync row went to, linked to it on the Sync page; an untargeted row stays empty", () => {
    const view = render({ webhook: '', stream: '', sync_profile: 'customers' })
    expect(view.text()).toBe('Sync: customers')
    expect(view.get('a').attributes('href')).toBe('/integrations/sync?profile=customers')
    expect(render({}).text()).toBe('')
  })
})
