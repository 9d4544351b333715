import { computed, ref } from 'vue'
import { useLiveList } from '../../composables/useLiveList'
import { useQueryParam } from '../../composables/useQueryParam'
import { errorText } from '../../data/client'
import { PAYMENT_PAGE_LENGTH, PAYMENT_STATUSES, paymentListResource, refreshPaymentResource } from '../../data/payments'
import type { PaymentRow } from '../../types/api'

export function usePayments() {
  const list = paymentListResource()
  const refresher = refreshPaymentResource()
  const actionError = ref('')

  /** `?status=` keeps the filter in the URL; `?payment=` highlights one (from "Try it"). */
  const status = useQueryParam('status', PAYMENT_STATUSES)
  const highlighted = useQueryParam('payment')

  const { rows, load, merge } = useLiveList<PaymentRow>({
    event: 'integrations_payment',
    fetch: () => list.submit({ ...(status.value.value ? { status: status.value.value } : {}), limit: PAYMENT_PAGE_LENGTH }),
    keep: (row) => !status.value.value || row.status === status.value.value,
    filters: status.value,
  })

  async function refresh(name: string) {
    actionError.value = ''
    try {
      const row = await refresher.submit({ payment: name })
      if (row) merge([row])
    } catch (error) {
      actionError.value = errorText(error as Error)
    }
  }

  return {
    list,
    rows,
    listError: computed(() => errorText(list.error)),
    status: status.value,
    highlighted: highlighted.value,
    setStatus: status.set,
    load,
    refresh,
    refreshing: computed(() => refresher.loading),
    actionError,
  }
}
