/** Page object for the /integrations SPA. */
import type { Locator, Page, Request } from 'playwright-core'
import { SCREENSHOT_DIR } from './browser'

export class IntegrationsApp {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async open(path = '') {
    await this.page.goto(`${this.origin}/integrations${path}`)
    await this.sidebarItem('Overview').waitFor()
  }

  sidebarItem(label: 'Overview' | 'Deliveries' | 'Webhooks' | 'Inbound' | 'Streams' | 'Sync' | 'Payments' | 'Messages'): Locator {
    return this.page.getByRole('button', { name: label, exact: true })
  }

  async navigate(label: 'Overview' | 'Deliveries' | 'Webhooks' | 'Inbound' | 'Streams' | 'Sync' | 'Payments' | 'Messages') {
    await this.sidebarItem(label).click()
    await this.page.getByRole('heading', { level: 1, name: label }).waitFor()
  }

  get connection(): Locator {
    return this.page.getByTestId('connection-indicator')
  }

  // Overview
  get sidecarPanel(): Locator {
    return this.page.getByTestId('sidecar-panel')
  }
  get chart(): Locator {
    return this.page.getByTestId('overview-chart')
  }

  // Deliveries
  get deliveryRows(): Locator {
    return this.page.getByTestId('delivery-log').locator('tbody tr')
  }
  deliveryRow(name: string): Locator {
    return this.page.locator(`[data-testid="delivery-log"] tr[data-name="${name}"]`)
  }
  /** Pick an option of a frappe-ui select (reka-ui listbox) by its accessible names. */
  async choose(select: string, option: string) {
    await this.page.getByRole('combobox', { name: select }).click()
    await this.page.getByRole('option', { name: option, exact: true }).click()
  }
  get deliveryDetail(): Locator {
    return this.page.getByTestId('delivery-detail')
  }
  get recoverForm(): Locator {
    return this.page.getByTestId('recover-form')
  }
  /** The "Updated" cell of a delivery row. */
  deliveryUpdated(name: string): Locator {
    return this.deliveryRow(name).locator('td').last()
  }

  // Inbound
  get inboundEndpoints(): Locator {
    return this.page.getByTestId('inbound-endpoint')
  }
  get inboundEventRows(): Locator {
    return this.page.getByTestId('inbound-events').locator('tbody tr')
  }

  // Streams
  get streamItems(): Locator {
    return this.page.getByTestId('streams').getByTestId('stream')
  }
  get tailRows(): Locator {
    return this.page.getByTestId('tail').locator('tbody tr')
  }
  get tokenRows(): Locator {
    return this.page.getByTestId('tokens').locator('tbody tr')
  }

  // Connections: a connection's card and its "Try it" panel
  connectionCard(name: string): Locator {
    return this.page.getByTestId('connection').filter({ hasText: name })
  }
  tryIt(connection: string): Locator {
    return this.connectionCard(connection).getByTestId('try-it')
  }
  /** Types into a Try it field (frappe-ui puts the test id on the input itself). */
  async fillTryIt(tryIt: Locator, key: string, value: string) {
    const field = tryIt.getByTestId(`try-it-${key}`)
    const input = (await field.evaluate((el) => el.tagName)) === 'INPUT' ? field : field.locator('input')
    await input.fill(value)
  }

  /** Wait for the next `/api/method/<method>` request. */
  waitForCall(method: string): Promise<Request> {
    return this.page.waitForRequest((request) => request.url().includes(`/api/method/${method}`))
  }

  async screenshot(name: string) {
    // Let transitions and chart animations settle before capturing.
    await this.page.waitForTimeout(400)
    await this.page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: false })
  }
}
