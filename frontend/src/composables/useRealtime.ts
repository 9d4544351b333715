import { onBeforeUnmount, onMounted } from 'vue'
import { getSocket } from '../socket'

/** Listen to a realtime event while the calling component is mounted. */
export function useRealtime<T>(event: string, handler: (message: T) => void): void {
  onMounted(() => {
    getSocket().on(event, handler)
  })
  onBeforeUnmount(() => {
    getSocket().off(event, handler)
  })
}
