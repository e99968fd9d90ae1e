import { WispError } from '../errors.js';
import type { TransportConnector } from './transport.js';

let registered: TransportConnector | undefined;

/**
 * Sets the connector `ClientMux.connect(url)` uses when none is passed. The Node entry point
 * (`wisp-rx/node`) registers its `ws` connector; elsewhere the standard WebSocket is used.
 */
export function setDefaultConnector(connector: TransportConnector | undefined): void {
  registered = connector;
}

/** The connector for URLs: the registered one, or the platform's standard WebSocket. */
export function defaultConnector(): TransportConnector {
  if (registered) return registered;
  return () =>
    Promise.reject(
      new WispError('Unsupported', 'no WebSocket connector: import from "wisp-rx/node" in Node.js, or pass options.connector'),
    );
}
