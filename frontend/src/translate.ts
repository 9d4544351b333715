/**
 * `__()`: Frappe's translation function for the SPA. The messages are the site's translations for
 * the user's language, which `www/integrations.py` puts in the boot as `__messages` — the same
 * `frappe.translate.get_all_translations(lang)` desk boots with — so the app's and Frappe's
 * translation files, and the Translation doctype, all apply. Same lookup as desk's `__`: the
 * `message:context` key first, then the message; `{0}`, `{1}`… are replaced by the arguments.
 */
import type { App } from 'vue'

export type Messages = Record<string, string>

let messages: Messages = (typeof window !== 'undefined' && window.__messages) || {}

/** Replace the loaded translations (the boot's, or a test's). */
export function setMessages(loaded: Messages | undefined): void {
  messages = loaded ?? {}
}

export function __(message: string, args?: ReadonlyArray<string | number | null | undefined> | null, context?: string | null): string {
  const translated = (context && messages[`${message}:${context}`]) || messages[message] || message
  if (!args?.length) return translated
  return translated.replace(/\{(\d+)\}/g, (placeholder, index: string) => {
    const value = args[Number(index)]
    return value === undefined || value === null ? placeholder : String(value)
  })
}

/** Makes `__` usable in every template. */
export const translation = {
  install(app: App) {
    app.config.globalProperties.__ = __
  },
}

declare module 'vue' {
  interface ComponentCustomProperties {
    __: typeof __
  }
}
