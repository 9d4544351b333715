export { StreamClient } from './client';
export type { ClientEvents, DisconnectInfo, ResetInfo, StreamClientOptions, StreamMessage, Transport, WebSocketConstructor, WebSocketLike } from './client';
export { backoffDelay } from './backoff';
export type { BackoffOptions, GiveUpOptions } from './backoff';
export { SseParser } from './sse-parser';
export type { SseFrame } from './sse-parser';
