import { computed, onBeforeUnmount, onMounted, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { errorText } from '../../data/client'
import { connectorListResource, connectorStatusResource } from '../../data/streams'

/** How often the open connector's status and reconnect history are read from the sidecar (through Frappe). */
export const CONNECTOR_POLL_MS = 5000

/** Inbound stream connectors on the Streams page: the list, and the open one's live status. */
export function useConnectors() {
  const route = useRoute()
  const router = useRouter()
  const connectors = connectorListResource()
  const status = connectorStatusResource()
  const selected = computed(() => (typeof route.query.connector === 'string' ? route.query.connector : null))

  const loadConnectors = () => connectors.fetch().catch(() => null)
  const poll = () => (selected.value ? status.fetch({ connector: selected.value }).catch(() => null) : null)

  /** Opening a connector closes the open stream (one detail pane). */
  function select(connector: string) {
    const { stream: _stream, ...rest } = route.query
    router.replace({ query: { ...rest, connector } })
  }

  watch(selected, () => {
    status.reset()
    poll()
  })
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    loadConnectors()
    poll()
    timer = setInterval(poll, CONNECTOR_POLL_MS)
  })
  onBeforeUnmount(() => clearInterval(timer))

  return {
    connectors,
    connectorsError: computed(() => errorText(connectors.error)),
    selectedConnector: selected,
    currentConnector: computed(() => connectors.data?.find((c) => c.name === selected.value) ?? null),
    selectConnector: select,
    connectorStatus: status,
    connectorStatusError: computed(() => errorText(status.error)),
    loadConnectors,
  }
}
