/**
 * wisp-rx — the universal entry point (browsers and Node). Nothing here imports a Node
 * built-in; Node-only pieces (the `ws` transport, the gateway) live in `wisp-rx/node`.
 * @packageDocumentation
 */
export { WispError, isWispError, type WispErrorCode } from './errors.js';

// packet layer
export * from './packet/index.js';

// transports
export type { Transport, TransportClose, TransportConnector, TransportMessage, SplitMessage } from './transport/transport.js';
export { DEFAULT_HIGH_WATER_MARK, isSplitMessage, messageBytes } from './transport/transport.js';
export { memoryTransportPair, dropMemoryTransport, type MemoryTransportOptions } from './transport/memory.js';
export {
  webSocketTransport,
  connectWebSocket,
  DRAIN_POLL_INTERVAL_MS,
  type WebSocketTransportOptions,
  type ConnectWebSocketOptions,
} from './transport/websocket.js';
/**
 * Transport over `WebSocketStream` (Chromium): unlike the standard `WebSocket`, a paused
 * reader really stops reading the socket, so a slow consumer slows the server instead of
 * filling the page's memory. `ClientMux.connect(url)` prefers it where the platform has it.
 */
export {
  webSocketStreamTransport,
  connectWebSocketStream,
  type WebSocketStreamLike,
  type WebSocketStreamConnection,
  type WebSocketStreamCloseInfo,
  type WebSocketStreamConstructor,
  type WebSocketStreamTransportOptions,
  type ConnectWebSocketStreamOptions,
} from './transport/websocket-stream.js';
export type { ProtocolExtension, ExtensionBuilder, ExtensionContext, Role } from './extensions/extension.js';
export { setDefaultConnector } from './transport/default-connector.js';
export { FrameSplitter, lengthPrefixLayout, type FrameLayout, type FrameHandler } from './transport/frame-splitter.js';

// handshake operators
export type { HandshakeResult } from './handshake/result.js';
export { isHandshakeResult } from './handshake/result.js';
export { clientHandshakeV1, serverHandshakeV1, type ClientV1Options, type ServerV1Options } from './handshake/v1.js';
export { clientHandshakeV2, type ClientV2Options } from './handshake/client-v2.js';
export { serverHandshakeV2, type ServerV2Options } from './handshake/server-v2.js';
export { decodePackets } from './handshake/decode-packets.js';

// extensions
export * from './extensions/index.js';

// multiplexer and streams
export { ClientMux, type ClientMuxOptions, type OpenOptions } from './mux/client-mux.js';
export { ServerMux, type ServerMuxOptions, type ConnectRequest, type IncomingStream } from './mux/server-mux.js';
export { MuxStream, type StreamReader, type StreamWriter } from './mux/stream.js';
export type { MuxOptions } from './mux/options.js';
export type { MuxEnd } from './mux/actor.js';
export type { MuxDebugState, StreamDebugState } from './mux/debug-state.js';
export type { StreamKind, WriteCallback } from './mux/stream-record.js';
export { ReceiveWindow } from './mux/receive-window.js';
export { scheduleContinues, type WindowEvent } from './mux/schedule-continues.js';
export { WISP_V2_PROTOCOL } from './mux/negotiated.js';
export { ReconnectingClientMux, type ReconnectingClientMuxOptions, type ReconnectState } from './client/reconnecting-client-mux.js';

// stream views
export type { WebStreamPair } from './views/web-streams.js';
export type { DuplexOptions, DuplexLike, NodeDuplex, NodeStreamTypes } from './views/duplex-types.js';
