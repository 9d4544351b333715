/**
 * Declarations for the part of frappe-ui this app uses. tsconfig maps `frappe-ui` here because
 * vue-tsc would otherwise type-check frappe-ui's raw sources, which do not pass strict mode
 * (STACK.md pitfall 4). Vite still bundles the real package.
 */
import type { Component, DefineComponent, Plugin } from 'vue'
import type { RouteLocationRaw } from 'vue-router'

/** An error thrown by frappeRequest for a non-2xx reply (`exc_type`, `_server_messages`). */
export interface FrappeRequestError extends Error {
  exc_type?: string
  messages: string[]
  response?: Response
}

export interface ResourceOptions<TData, TParams> {
  /** Dotted method path (`/api/method/<url>`) or an absolute path. */
  url: string
  params?: TParams
  makeParams?: (params: TParams | null) => TParams
  transform?: (data: TData) => TData | undefined
  onSuccess?: (data: TData) => void
  onError?: (error: FrappeRequestError) => void
  initialData?: TData
}

/** The reactive object createResource returns. */
export interface Resource<TData, TParams> {
  data: TData | null
  loading: boolean
  fetched: boolean
  error: FrappeRequestError | null
  params: TParams | null
  /** Rejects with the error (also kept in `error`). */
  fetch(params?: TParams): Promise<TData | null>
  reload(params?: TParams): Promise<TData | null>
  submit(params?: TParams): Promise<TData | null>
  setData(data: TData | ((current: TData | null) => TData)): void
  reset(): void
}

export declare function createResource<TData, TParams extends object = Record<string, never>>(
  options: ResourceOptions<TData, TParams>,
): Resource<TData, TParams>

export interface FrappeRequestOptions {
  url: string
  method?: 'GET' | 'POST'
  params?: Record<string, unknown>
}
export declare function frappeRequest<T>(options: FrappeRequestOptions): Promise<T>

export declare function setConfig(key: 'resourceFetcher', value: typeof frappeRequest): void

export declare const FrappeUI: Plugin<[{ socketio?: boolean; resources?: boolean; call?: boolean }?]>

interface ToastOptions {
  /** Seconds. */
  duration?: number
  action?: { label: string; onClick: () => void }
}
export declare const toast: {
  success(message: string, options?: ToastOptions): string
  error(message: string, options?: ToastOptions): string
  info(message: string, options?: ToastOptions): string
}

type Theme = 'gray' | 'blue' | 'green' | 'orange' | 'red'
type Variant = 'solid' | 'subtle' | 'outline' | 'ghost'

export declare const FrappeUIProvider: DefineComponent
export declare const Button: DefineComponent<{
  theme?: Exclude<Theme, 'orange'>
  size?: 'sm' | 'md' | 'lg' | 'xl' | '2xl'
  variant?: Variant
  label?: string
  icon?: string | Component
  iconLeft?: string | Component
  iconRight?: string | Component
  tooltip?: string
  loading?: boolean
  disabled?: boolean
  route?: RouteLocationRaw
  link?: string
  type?: 'button' | 'submit' | 'reset'
}>
export declare const Badge: DefineComponent<{
  theme?: Theme
  size?: 'sm' | 'md' | 'lg'
  variant?: Variant
  label?: string | number
}>
export declare const LoadingIndicator: DefineComponent
export declare const ErrorMessage: DefineComponent<{ message?: string | Error | null }>
export declare const Tooltip: DefineComponent<{ text?: string; placement?: 'top' | 'right' | 'bottom' | 'left' }>

export interface DialogOptions {
  title?: string
  size?: 'sm' | 'md' | 'lg' | 'xl' | '2xl' | '3xl' | '4xl' | '5xl'
}
export declare const Dialog: DefineComponent<{
  modelValue: boolean
  'onUpdate:modelValue'?: (value: boolean) => void
  options?: DialogOptions
}>

export interface SelectOption {
  label: string
  value: string
}
export declare const FormControl: DefineComponent<{
  label?: string
  description?: string
  type?: 'text' | 'number' | 'search' | 'datetime-local' | 'select' | 'textarea'
  size?: 'sm' | 'md'
  variant?: 'subtle' | 'outline'
  placeholder?: string
  options?: SelectOption[]
  modelValue?: string | number | null
  'onUpdate:modelValue'?: (value: string) => void
}>

export interface SidebarItem {
  label: string
  icon?: Component
  to?: RouteLocationRaw
  isActive?: boolean
}
export declare const Sidebar: DefineComponent<{
  header?: { title: string; subtitle?: string; logo?: Component; menuItems?: { label: string; icon: Component; onClick: () => void }[] }
  sections?: { label?: string; items: SidebarItem[] }[]
  disableCollapse?: boolean
}>
