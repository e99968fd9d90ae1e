import { WispError } from '../errors.js';
import type { TransportConnector } from './transport.js';
import { connectWebSocket } from './websocket.js';
import { connectWebSocketStream, platformWebSocketStream } from './websocket-stream.js';

let registered: TransportConnector | undefined;

/**
 * Sets the connector `ClientMux.connect(url)` uses when none is passed. The Node entry point
 * (`wisp-rx/node`) registers its `ws` connector; elsewhere the platform's is used.
 */
export function setDefaultConnector(connector: TransportConnector | undefined): void {
  registered = connector;
}

/**
 * The connector for URLs: the registered one, else the platform's `WebSocketStream` where it
 * exists (Chromium: reads with real backpressure), else its standard `WebSocket` (browsers,
 * Deno, Bun, Node 22+). Both are looked up when connecting, so a polyfill installed later
 * still counts.
 */
export function defaultConnector(): TransportConnector {
  if (registered) return registered;
  return (url, protocols) => {
    if (platformWebSocketStream()) return connectWebSocketStream(url, protocols);
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') return connectWebSocket(url, protocols);
    return Promise.reject(
      new WispError('Unsupported', 'no WebSocket connector: this platform has no WebSocket; import from "wisp-rx/node" in Node.js, or pass options.connector'),
    );
  };
}
