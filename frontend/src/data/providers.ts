import { createResource } from 'frappe-ui'
import type { TestOperationResult } from '../types/api'

/** The "Try it" action of a connection's area (`api/providers.py` TEST_ACTIONS). */
export function testOperationResource() {
  return createResource<TestOperationResult, { connection: string; params: Record<string, string> }>({
    url: 'integrations_app.api.providers.test_operation',
  })
}
