/**
 * Chromium from the Debian package, driven by playwright-core (never `playwright install`).
 * `launch` gives every run a fresh temporary profile.
 */
import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const SCREENSHOT_DIR = '/tmp/ia-screens'

export interface BrowserSession {
  browser: Browser
  context: BrowserContext
  page: Page
  /** Console errors and uncaught page errors since the page opened. */
  errors: string[]
  close(): Promise<void>
}

export interface BrowserOptions {
  /** The browser's time zone (IANA), e.g. one that differs from the site's. Default: the machine's. */
  timezoneId?: string
}

export async function openBrowser(origin: string, options: BrowserOptions = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, timezoneId: options.timezoneId })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return {
    browser,
    context,
    page,
    errors,
    close: () => browser.close(),
  }
}
