import { createResource } from 'frappe-ui'
import type { FileMigrationStatus } from '../types/api'

const API = 'integrations_app.api.files.'

/** Realtime event the migration job publishes after every file (same body as migration_status). */
export const FILE_MIGRATION_EVENT = 'integrations_file_migration'

export function migrationStatusResource() {
  return createResource<FileMigrationStatus>({ url: API + 'migration_status' })
}

export function startMigrationResource() {
  return createResource<FileMigrationStatus>({ url: API + 'start_migration' })
}
