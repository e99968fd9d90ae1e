/**
 * wisp-rx/node — the Node entry point: everything from the universal entry plus the pieces
 * that need Node (the `ws` transport, the gateway). Browser bundles import `wisp-rx` instead,
 * so that `ws` and Node built-ins never reach them.
 *
 * Importing this module makes `ClientMux.connect(url)` use `ws` by default.
 * @packageDocumentation
 */
import { setDefaultConnector } from './transport/default-connector.js';
import { connectLengthDelimited, isLengthDelimitedUrl } from './transport/length-delimited.js';
import { connectWs } from './transport/ws.js';

export * from './index.js';
export { wsTransport, connectWs, type WsTransportOptions, type ConnectWsOptions } from './transport/ws.js';
export {
  duplexTransport,
  connectTcp,
  connectTls,
  DEFAULT_CLOSE_DEADLINE_MS,
  type DuplexTransportOptions,
  type ConnectTcpOptions,
  type ConnectTlsOptions,
} from './transport/duplex-transport.js';
export {
  lengthDelimitedTransport,
  connectLengthDelimited,
  isLengthDelimitedUrl,
  DEFAULT_MAX_LENGTH_DELIMITED_PACKET,
  type LengthDelimitedOptions,
  type ConnectLengthDelimitedOptions,
} from './transport/length-delimited.js';
export { createGateway, Gateway, type GatewayStats } from './server/gateway.js';
export type { GatewayOptions } from './server/gateway-options.js';
export type { LookupFunction } from './server/resolve.js';
export type { StopReport } from './server/graceful-stop.js';
export type { GatewayDeployOptions, GatewayTransport } from './server/gateway-deploy-options.js';
export type { TlsFiles } from './server/listeners.js';
export type { AuthStore } from './server/auth-limiter.js';
export { createDnsLookup, type DnsLookupOptions, type DnsOrder } from './server/dns-lookup.js';
export {
  localCounter,
  redisCounter,
  workerCounter,
  servePrimaryCounter,
  type ConnectionCounter,
  type RedisCounterOptions,
  type IpcChannel,
  type WorkerChannel,
  type CounterMessage,
} from './server/shared-limits.js';
export { ConnectionLimiter, type ConnectionLimiterOptions } from './server/client-limits.js';
export { SharedStats, type SummedStats } from './server/shared-stats.js';
export { GatewayMetrics, type MetricsSource, type AuthMethod } from './server/metrics.js';
export { metricsHandler, listenMetrics, LOOPBACK_ONLY, type MetricsEndpointOptions } from './server/metrics-endpoint.js';
export { StatusHistory, type ThroughputSample, type Refusal, type StatusHistoryOptions } from './server/status-history.js';
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LogLevel } from './server/logger.js';
export type { DestinationPolicy, PortRange } from './server/policy.js';
export { parsePortRanges } from './server/policy.js';

// ws:// and wss:// go over `ws`; tcp:// and unix: carry Wisp length-delimited (v1).
setDefaultConnector((url, protocols) => (isLengthDelimitedUrl(url) ? connectLengthDelimited(url) : connectWs(url, protocols)));

// Where Node is, `MuxStream.toDuplex()` is typed as the real `node:stream` Duplex.
declare module './stream/duplex-types.js' {
  interface NodeStreamTypes {
    readonly Duplex: import('node:stream').Duplex;
  }
}

// wisp-rx tunnel (smux; a registry for more protocols)
export * from './tunnel/index.js';
