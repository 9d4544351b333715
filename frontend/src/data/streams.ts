import { createResource } from 'frappe-ui'
import type {
  ConnectorStatusReply,
  CreatedStreamToken,
  StreamConnectorRow,
  StreamConsumers,
  StreamRow,
  StreamTailEvent,
  StreamToken,
} from '../types/api'

const API = 'integrations_app.api.streams.'

export function streamListResource() {
  return createResource<StreamRow[]>({ url: API + 'list_streams' })
}

export function streamTokensResource() {
  return createResource<StreamToken[], { stream: string }>({ url: API + 'list_tokens' })
}

export function streamTailResource() {
  return createResource<StreamTailEvent[], { stream: string }>({ url: API + 'tail' })
}

export function streamConsumersResource() {
  return createResource<StreamConsumers, { stream: string }>({ url: API + 'consumers' })
}

export function createTokenResource() {
  return createResource<
    CreatedStreamToken,
    { stream: string; label: string; expires_in_days?: number; filter_field?: string; filter_value?: string }
  >({ url: API + 'create_token' })
}

export function revokeTokenResource() {
  return createResource<StreamToken, { token: string }>({ url: API + 'revoke_token' })
}

export function connectorListResource() {
  return createResource<StreamConnectorRow[]>({ url: API + 'list_connectors' })
}

export function connectorStatusResource() {
  return createResource<ConnectorStatusReply, { connector: string }>({ url: API + 'connector_status' })
}
