import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { h } from 'vue'
import { translation } from '../translate'
import DetailHeader from './DetailHeader.vue'

function render(props: Record<string, unknown>, actions?: () => unknown) {
  return mount(DetailHeader, {
    props: { title: 'payment_intent.succeeded', ...props },
    slots: actions ? { actions } : {},
    global: { plugins: [translation] },
  })
}

describe('DetailHeader', () => {
  it('shows the title, the status and the identifying line, in monospace when it is an id', () => {
    const w = render({ status: 'Failed', subtitle: 'evt_123', mono: true, statusTestid: 'the-status' })
    expect(w.get('h2').text()).toBe('payment_intent.succeeded')
    expect(w.get('[data-testid="the-status"]').text()).toBe('Failed')
    const line = w.get('h2 + span').element.parentElement!.nextElementSibling!
    expect(line.textContent).toBe('evt_123')
    expect(line.classList.contains('font-mono')).toBe(true)
  })

  it('leaves out the line while the record is still loading, and words are not set as an id', () => {
    expect(render({ status: null, subtitle: null }).findAll('.text-sm')).toHaveLength(0)
    const w = render({ subtitle: 'External ID 42 · last synced —' })
    expect(w.get('.text-sm').classes()).not.toContain('font-mono')
  })

  it('puts the actions beside the title only when there are some', () => {
    expect(render({}).find('[data-testid="detail-actions"]').exists()).toBe(false)
    const w = render({}, () => h('button', { 'data-testid': 'replay' }, 'Replay'))
    expect(w.get('[data-testid="detail-actions"] [data-testid="replay"]').text()).toBe('Replay')
  })
})
