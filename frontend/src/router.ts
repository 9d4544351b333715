import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory('/integrations'),
  routes: [
    { path: '/', name: 'Overview', component: () => import('./pages/Overview/OverviewPage.vue') },
    { path: '/deliveries', name: 'Deliveries', component: () => import('./pages/Deliveries/DeliveriesPage.vue') },
    { path: '/webhooks', name: 'Webhooks', component: () => import('./pages/Webhooks/WebhooksPage.vue') },
    { path: '/inbound', name: 'Inbound', component: () => import('./pages/Inbound/InboundPage.vue') },
    { path: '/streams', name: 'Streams', component: () => import('./pages/Streams/StreamsPage.vue') },
    { path: '/connections', name: 'Connections', component: () => import('./pages/Connections/ConnectionsPage.vue') },
    { path: '/sync', name: 'Sync', component: () => import('./pages/Sync/SyncPage.vue') },
    { path: '/payments', name: 'Payments', component: () => import('./pages/Payments/PaymentsPage.vue') },
    { path: '/messages', name: 'Messages', component: () => import('./pages/Messages/MessagesPage.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
})
