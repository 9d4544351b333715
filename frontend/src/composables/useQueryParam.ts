import { computed } from 'vue'
import { useRoute, useRouter } from 'vue-router'

/**
 * One `?key=` of the page's URL as state (a filter, the open item), so a reload or a shared
 * link keeps it. With `allowed`, any other value reads as null.
 */
export function useQueryParam<T extends string = string>(key: string, allowed?: readonly T[]) {
  const route = useRoute()
  const router = useRouter()
  const value = computed<T | null>(() => {
    const raw = route.query[key]
    return typeof raw === 'string' && raw && (!allowed || (allowed as readonly string[]).includes(raw)) ? (raw as T) : null
  })
  function set(next: T | null) {
    const query = { ...route.query }
    if (next) query[key] = next
    else delete query[key]
    return router.replace({ query })
  }
  return { value, set }
}
