import type { FrappeRequestError } from 'frappe-ui'
import { computed, ref, watch, type Ref } from 'vue'
import { errorText } from '../../data/client'
import { resolveConflictResource, syncConflictResource } from '../../data/sync'
import { __ } from '../../translate'
import { initialMerge, mergeValues, settledBefore } from './live'

/**
 * One conflict of the queue: its side-by-side rows, an editable merge, and the resolve actions.
 * `onResolved(true)`: someone (or a run) had settled it before this person's choice arrived.
 */
export function useConflict(name: Ref<string | null>, onResolved: (settledBefore: boolean) => void) {
  const conflict = syncConflictResource()
  const resolver = resolveConflictResource()
  const draft = ref<Record<string, string>>({})
  const merging = ref(false)
  /** Why the last resolve did not go through (a failed read is the resource's own error). */
  const actionError = ref('')
  const resolving = ref<'' | 'local' | 'remote' | 'merge'>('')

  async function load() {
    actionError.value = ''
    merging.value = false
    if (!name.value) return
    const data = await conflict.fetch({ log: name.value }).catch(() => null)
    if (data) draft.value = initialMerge(data)
  }
  watch(name, load, { immediate: true })

  async function resolve(take: 'local' | 'remote' | 'merge') {
    const data = conflict.data
    if (!data || !name.value) return
    resolving.value = take
    actionError.value = ''
    try {
      const args: { log: string; take: typeof take; values?: Record<string, unknown> } = { log: name.value, take }
      if (take === 'merge') args.values = mergeValues(data, draft.value)
      const answer = await resolver.submit(args)
      // the engine wrote both sides before answering: Failed means a side refused the values
      if (answer?.status === 'Failed') actionError.value = answer.error || __('The sync could not write the chosen values.')
      else onResolved(false)
    } catch (e) {
      if (settledBefore(e as FrappeRequestError)) onResolved(true)
      else actionError.value = errorText(e as Error)
    } finally {
      resolving.value = ''
    }
  }

  return { conflict, loadError: computed(() => errorText(conflict.error)), draft, merging, actionError, resolving, resolve, reload: load }
}
