/// <reference types="vite/client" />

/** Boot values that Frappe's `www/integrations.py` renders into the page (jinjaBootData). */
interface Window {
  csrf_token?: string
  site_name?: string
  socketio_port?: number | string
  user?: string
  /** The site's time zone (System Settings), e.g. `Asia/Kolkata`: every time is shown in it. */
  time_zone?: string
  /** The site's translations for the user's language (`frappe.translate.get_all_translations`). */
  __messages?: Record<string, string>
  /** The user's language, e.g. `de`. */
  lang?: string
}

declare module '~icons/lucide/*' {
  import type { FunctionalComponent, SVGAttributes } from 'vue'
  const component: FunctionalComponent<SVGAttributes>
  export default component
}

