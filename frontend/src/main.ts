import { FrappeUI, frappeRequest, setConfig } from 'frappe-ui'
import { createApp } from 'vue'
import App from './App.vue'
import './index.css'
import { router } from './router'

setConfig('resourceFetcher', frappeRequest)

// The app owns its socket.io connection (src/socket.ts), so frappe-ui must not open another.
createApp(App).use(router).use(FrappeUI, { socketio: false }).mount('#app')
