import { ref } from 'vue'

/** Copy text; falls back to `execCommand` where the Clipboard API is missing (plain-http sites). */
export function useClipboard(resetMs = 1500) {
  const copied = ref<string | null>(null)

  async function copy(text: string): Promise<void> {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text)
    } else {
      const area = document.createElement('textarea')
      area.value = text
      area.setAttribute('readonly', '')
      area.style.position = 'fixed'
      area.style.opacity = '0'
      document.body.appendChild(area)
      area.select()
      document.execCommand('copy')
      area.remove()
    }
    copied.value = text
    setTimeout(() => {
      if (copied.value === text) copied.value = null
    }, resetMs)
  }

  return { copied, copy }
}
