/**
 * wisp-rx/node — the Node entry point: everything from the universal entry plus the pieces
 * that need Node (the `ws` transport). Browser bundles import `wisp-rx` instead, so that
 * `ws` and Node built-ins never reach them.
 * @packageDocumentation
 */
export * from './index.js';
export { wsTransport, connectWs, type WsTransportOptions, type ConnectWsOptions } from './transport/ws.js';
