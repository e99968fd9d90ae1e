/**
 * wisp-rx/node — the Node entry point: everything from the universal entry plus the pieces
 * that need Node (the `ws` transport, the gateway, tunnels), and smux and yamux (`wisp-rx/smux`,
 * `wisp-rx/yamux`). Browser bundles import `wisp-rx` instead, so that `ws` and Node built-ins
 * never reach them; a Node program that only opens Wisp streams can import
 * `wisp-rx/node-client`, which loads neither the gateway nor smux and yamux.
 *
 * Importing this module makes `ClientMux.connect(url)` use `ws` by default.
 * @packageDocumentation
 */
export * from './node-client.js';
export * from './smux.js';
export * from './yamux.js';
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

// wisp-rx tunnel (smux; a registry for more protocols)
export * from './tunnel/index.js';
