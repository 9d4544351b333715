import frappeUIPreset from 'frappe-ui/tailwind'

/** @type {import('tailwindcss').Config} */
export default {
  presets: [frappeUIPreset],
  content: [
    './index.html',
    './src/**/*.{vue,ts}',
    '../node_modules/frappe-ui/src/components/**/*.{vue,js,ts}',
  ],
}
