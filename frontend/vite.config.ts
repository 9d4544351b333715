import vue from '@vitejs/plugin-vue'
import frappeui from 'frappe-ui/vite'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'

/** Built into the Frappe app: assets under /assets/integrations_app/frontend/, shell at www/integrations.html. */
export default defineConfig({
  plugins: [
    frappeui({
      frappeProxy: true,
      lucideIcons: true,
      jinjaBootData: true,
      frappeTypes: {
        input: {
          integrations_app: [
            'integration_webhook',
            'integration_webhook_delivery',
            'integration_inbound_event',
          ],
        },
        output: 'src/types/doctypes.ts',
      },
      buildConfig: {
        outDir: '../integrations_app/public/frontend',
        baseUrl: '/assets/integrations_app/frontend/',
        indexHtmlPath: '../integrations_app/www/integrations.html',
      },
    }),
    vue(),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    // The largest chunk is the lazily loaded Overview page with echarts (bars, SVG renderer only).
    chunkSizeWarningLimit: 600,
  },
})
