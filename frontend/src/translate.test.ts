import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import StatusBadge from './components/StatusBadge.vue'
import { __, setMessages, translation } from './translate'

afterEach(() => setMessages({}))

describe('__', () => {
  it('returns the message itself when no translation is loaded', () => {
    expect(__('Refresh')).toBe('Refresh')
  })

  it('uses a loaded translation', () => {
    setMessages({ Refresh: 'Aktualisieren' })
    expect(__('Refresh')).toBe('Aktualisieren')
  })

  it('substitutes {0}, {1}… in the translation, in its own order', () => {
    setMessages({ '{0} of {1} failed': '{1}: {0} fehlgeschlagen' })
    expect(__('{0} of {1} failed', [3, 'Orders'])).toBe('Orders: 3 fehlgeschlagen')
    expect(__('{0} resumed', ['Orders'])).toBe('Orders resumed')
  })

  it('leaves a placeholder without an argument as it is', () => {
    expect(__('{0} and {1}', ['a'])).toBe('a and {1}')
  })

  it('prefers the translation for the context, like desk', () => {
    setMessages({ Open: 'Offen', 'Open:Integration Webhook': 'Öffnen' })
    expect(__('Open', null, 'Integration Webhook')).toBe('Öffnen')
    expect(__('Open', null, 'ToDo')).toBe('Offen')
  })

  it('is in every template through the plugin (a status badge shows its translated status)', () => {
    setMessages({ Failed: 'Fehlgeschlagen' })
    const badge = mount(StatusBadge, { props: { status: 'Failed' }, global: { plugins: [translation] } })
    expect(badge.text()).toBe('Fehlgeschlagen')
  })
})
