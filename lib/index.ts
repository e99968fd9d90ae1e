/**
 * wisp-rx — the universal entry point (browsers and Node). Nothing here imports a Node
 * built-in; Node-only pieces (the `ws` transport, the gateway) live in `wisp-rx/node`.
 * @packageDocumentation
 */
export { WispError, isWispError, type WispErrorCode } from './errors.js';

// packet layer
export * from './wisp/packet/index.js';

// transports
export type { Transport, TransportClose, TransportConnector, TransportMessage, SplitMessage } from './transport/transport.js';
export { DEFAULT_HIGH_WATER_MARK, isSplitMessage, messageBytes } from './transport/transport.js';
export { memoryTransportPair, type MemoryTransportOptions } from './transport/memory.js';
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
export type { ProtocolExtension, ExtensionBuilder, ExtensionContext } from './wisp/extensions/extension.js';
export type { Role } from './core/protocol.js';
export { setDefaultConnector } from './transport/default-connector.js';
export { FrameSplitter, lengthPrefixLayout, type FrameLayout, type FrameHandler } from './transport/frame-splitter.js';
// byte-stream transports (for wisp-rx/smux, wisp-rx/yamux and any protocol framed over bytes)
export { frames } from './transport/frames.js';
export { asBytePipe } from './transport/byte-pipe.js';
export { webStreamTransport, type ByteStreamPair, type WebStreamTransportOptions } from './transport/web-stream-transport.js';

export type { SessionCloseOptions } from './session.js';

// handshake operators
export type { HandshakeResult } from './wisp/handshake/result.js';
export { clientHandshakeV1, serverHandshakeV1, type ClientV1Options, type ServerV1Options } from './wisp/handshake/v1.js';
export { clientHandshakeV2, type ClientV2Options } from './wisp/handshake/client-v2.js';
export { serverHandshakeV2, type ServerV2Options } from './wisp/handshake/server-v2.js';
export { decodePackets } from './wisp/handshake/decode-packets.js';

// extensions
export * from './wisp/extensions/index.js';

// multiplexer and streams
export { ClientMux, type ClientMuxOptions, type OpenOptions } from './wisp/client-mux.js';
export { ServerMux, type ServerMuxOptions, type ConnectRequest, type IncomingStream } from './wisp/server-mux.js';
export { MuxStream } from './stream/mux-stream.js';
export type { StreamReader, StreamWriter, StreamLike } from './stream/stream-api.js';
export type { MuxOptions } from './wisp/options.js';
export type { MuxEnd } from './core/actor.js';
export type { MuxDebugState, StreamDebugState } from './core/debug-state.js';
export type { StreamKind, WriteCallback } from './core/stream-record.js';
export { WISP_V2_PROTOCOL } from './wisp/negotiated.js';
export { ReconnectingClientMux, type ReconnectingClientMuxOptions, type ReconnectState } from './client/reconnecting-client-mux.js';

// stream views
export type { WebStreamPair } from './stream/web-streams.js';
export type { DuplexOptions, DuplexLike, NodeDuplex, NodeStreamTypes } from './stream/duplex-types.js';

