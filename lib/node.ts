/**
 * wisp-rx/node — the Node entry point: everything from the universal entry plus the pieces
 * that need Node (the `ws` transport, the gateway). Browser bundles import `wisp-rx` instead,
 * so that `ws` and Node built-ins never reach them.
 *
 * Importing this module makes `ClientMux.connect(url)` use `ws` by default.
 * @packageDocumentation
 */
import { setDefaultConnector } from './transport/default-connector.js';
import { connectWs } from './transport/ws.js';

export * from './index.js';
export { wsTransport, connectWs, type WsTransportOptions, type ConnectWsOptions } from './transport/ws.js';
export { createGateway, Gateway, type GatewayStats } from './server/gateway.js';
export type { GatewayOptions } from './server/gateway-options.js';
export type { StopReport } from './server/graceful-stop.js';
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LogLevel } from './server/logger.js';
export type { DestinationPolicy, PortRange } from './server/policy.js';
export { parsePortRanges } from './server/policy.js';

setDefaultConnector((url, protocols) => connectWs(url, protocols));
