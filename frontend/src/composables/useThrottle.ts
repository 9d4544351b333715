import { onBeforeUnmount } from 'vue'

/**
 * Returns a trigger that runs `fn` at most once per `ms`: the first call runs at once, calls
 * during the wait collapse into one trailing run. A pending run is dropped on unmount.
 */
export function useThrottle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let pending = false

  function release() {
    timer = null
    if (pending) {
      pending = false
      run()
    }
  }
  function run() {
    fn()
    timer = setTimeout(release, ms)
  }
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer)
  })
  return () => {
    if (timer) pending = true
    else run()
  }
}
