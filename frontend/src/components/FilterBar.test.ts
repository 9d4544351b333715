import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { computed, h, nextTick, ref } from 'vue'
import { translation } from '../translate'
import FilterBar, { type FilterField } from './FilterBar.vue'

const settle = async () => {
  await nextTick()
  await new Promise((ok) => setTimeout(ok))
}

/** A page's filters: a status select and a search box, with the values the page keeps. */
function page(labels = true) {
  const status = ref('')
  const search = ref('')
  const sets: [string, string][] = []
  const fields = computed<FilterField[]>(() => [
    {
      key: 'status',
      type: 'select',
      label: 'Status',
      options: [
        { label: 'All statuses', value: '' },
        { label: 'Failed', value: 'Failed' },
        { label: 'Succeeded', value: 'Succeeded' },
      ],
      width: 'w-40',
      testid: 'status-filter',
      value: status.value,
      set: (v) => {
        sets.push(['status', v])
        status.value = v
      },
    },
    {
      key: 'search',
      type: 'search',
      label: 'Event type',
      placeholder: 'Event type',
      width: 'w-56',
      testid: 'search-filter',
      value: search.value,
      set: (v) => {
        sets.push(['search', v])
        search.value = v
      },
    },
  ])
  const view = mount(
    { render: () => h(FilterBar, { fields: fields.value, labels }, () => h('p', { 'data-testid': 'hint' }, 'What the filters see')) },
    { global: { plugins: [translation] }, attachTo: document.body },
  )
  return { view, status, search, sets }
}

let unmount: (() => void) | null = null
afterEach(() => {
  unmount?.()
  unmount = null
})

describe('FilterBar', () => {
  it('shows the declared fields in order, labelled, at their widths, then the hint', () => {
    const { view } = page()
    unmount = () => view.unmount()
    const labels = view.findAll('label').map((l) => l.text())
    expect(labels).toEqual(['Status', 'Event type'])
    const controls = view.get('div').element.children
    expect(controls[0]!.classList.contains('w-40')).toBe(true)
    expect(controls[1]!.classList.contains('w-56')).toBe(true)
    expect(controls[2]!.getAttribute('data-testid')).toBe('hint')
    expect(view.get('[data-testid="search-filter"]').attributes('placeholder')).toBe('Event type')
    expect(view.get('[role="combobox"]').text()).toContain('All statuses')
  })

  it('hands a typed search to the field, and shows the value the page holds', async () => {
    const { view, search, sets } = page()
    unmount = () => view.unmount()
    const input = view.get<HTMLInputElement>('[data-testid="search-filter"]')
    await input.setValue('order.created')
    await settle()
    expect(sets.filter(([key]) => key === 'search').at(-1)).toEqual(['search', 'order.created'])
    expect(search.value).toBe('order.created')
    // the page clears it (e.g. the URL lost its ?key=): the box follows
    search.value = ''
    await settle()
    expect(input.element.value).toBe('')
  })

  it("hands a chosen option's value to the field, and shows the page's value as the choice", async () => {
    const { view, status, sets } = page()
    unmount = () => view.unmount()
    const trigger = view.get('[role="combobox"]')
    await trigger.trigger('keydown', { key: 'Enter' })
    await settle()
    const option = [...document.querySelectorAll('[role="option"]')].find((o) => o.textContent?.trim() === 'Failed') as HTMLElement
    expect(option).toBeTruthy()
    // reka-ui's select picks an option on pointerup
    option.dispatchEvent(new PointerEvent('pointerup', { bubbles: true }))
    await settle()
    expect(sets).toContainEqual(['status', 'Failed'])
    expect(status.value).toBe('Failed')
    expect(trigger.text()).toContain('Failed')
    status.value = 'Succeeded'
    await settle()
    expect(view.get('[role="combobox"]').text()).toContain('Succeeded')
  })

  it('without labels, names each field for assistive technology only', () => {
    const { view } = page(false)
    unmount = () => view.unmount()
    expect(view.findAll('label')).toHaveLength(0)
    expect(view.get('[role="combobox"]').attributes('aria-label')).toBe('Status')
    expect(view.get('[data-testid="search-filter"]').attributes('aria-label')).toBe('Event type')
  })
})
