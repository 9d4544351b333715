import { createResource } from 'frappe-ui'
import type { DeliveryOverview, SidecarTestResult } from '../types/api'

export const OVERVIEW_MINUTES = 60

export function sidecarStatusResource() {
  return createResource<SidecarTestResult>({ url: 'integrations_app.api.settings.test_sidecar' })
}

export function deliveryOverviewResource() {
  return createResource<DeliveryOverview, { minutes: number }>({
    url: 'integrations_app.api.dashboard.delivery_overview',
    params: { minutes: OVERVIEW_MINUTES },
  })
}
