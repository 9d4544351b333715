import { computed, onMounted, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useRealtime } from '../../composables/useRealtime'
import { errorText } from '../../data/client'
import { PAYMENT_PAGE_LENGTH, PAYMENT_STATUSES, paymentListResource, refreshPaymentResource } from '../../data/payments'
import type { PaymentRealtimeMessage, PaymentRow, PaymentStatus } from '../../types/api'
import { mergePayments } from './livePayments'

export function usePayments() {
  const route = useRoute()
  const router = useRouter()
  const list = paymentListResource()
  const refresher = refreshPaymentResource()
  const rows = ref<PaymentRow[]>([])
  const actionError = ref('')

  /** `?status=` keeps the filter in the URL; `?payment=` highlights one (from "Try it"). */
  const status = computed<PaymentStatus | null>(() => {
    const value = route.query.status
    return typeof value === 'string' && (PAYMENT_STATUSES as string[]).includes(value) ? (value as PaymentStatus) : null
  })
  const highlighted = computed(() => (typeof route.query.payment === 'string' ? route.query.payment : null))

  async function load() {
    const fetched = await list.submit({ ...(status.value ? { status: status.value } : {}), limit: PAYMENT_PAGE_LENGTH }).catch(() => null)
    if (fetched) rows.value = fetched
  }
  onMounted(load)
  watch(status, load)

  useRealtime<PaymentRealtimeMessage>('integrations_payment', (message) => {
    if (Array.isArray(message?.items)) rows.value = mergePayments(rows.value, message.items, status.value)
  })

  function setStatus(value: PaymentStatus | null) {
    const query = { ...route.query }
    if (value) query.status = value
    else delete query.status
    router.replace({ query })
  }

  async function refresh(name: string) {
    actionError.value = ''
    try {
      const row = await refresher.submit({ payment: name })
      if (row) rows.value = mergePayments(rows.value, [row], status.value)
    } catch (error) {
      actionError.value = errorText(error as Error)
    }
  }

  return {
    list,
    rows,
    listError: computed(() => errorText(list.error)),
    status,
    highlighted,
    setStatus,
    load,
    refresh,
    refreshing: computed(() => refresher.loading),
    actionError,
  }
}
