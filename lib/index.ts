/**
 * wisp-rx — the universal entry point (browsers and Node). Nothing here imports a Node
 * built-in; Node-only pieces (the `ws` transport, the gateway) live in `wisp-rx/node`.
 * @packageDocumentation
 */
export { WispError, isWispError, type WispErrorCode } from './errors.js';
export * from './packet/index.js';
export type { Transport, TransportClose, TransportConnector } from './transport/transport.js';
export { DEFAULT_HIGH_WATER_MARK } from './transport/transport.js';
export { memoryTransportPair, dropMemoryTransport, type MemoryTransportOptions } from './transport/memory.js';
export {
  webSocketTransport,
  connectWebSocket,
  DRAIN_POLL_INTERVAL_MS,
  type WebSocketTransportOptions,
  type ConnectWebSocketOptions,
} from './transport/websocket.js';
export type { ProtocolExtension, ExtensionBuilder, ExtensionContext, Role } from './extensions/extension.js';
