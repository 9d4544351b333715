import { FrappeUI, frappeRequest, setConfig } from 'frappe-ui'
import { createApp } from 'vue'
import App from './App.vue'
import './index.css'
import { router } from './router'
import { translation } from './translate'

setConfig('resourceFetcher', frappeRequest)

// The app owns its socket.io connection (src/socket.ts), so frappe-ui must not open another.
createApp(App).use(translation).use(router).use(FrappeUI, { socketio: false }).mount('#app')
