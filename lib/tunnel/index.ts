/** `wisp-rx tunnel`'s machinery: the protocol registry, the two tunnel ends, the relay. Node only. */
export * from './registry.js';
export { smuxTunnelProtocol } from './smux-tunnel.js';
export { yamuxTunnelProtocol, netMuxTunnelProtocol } from './yamux-tunnel.js';
export { TunnelStats, formatTunnelStats, type TunnelStatsSnapshot } from './stats.js';
export { startTunnelServer, startTunnelClient, type Address, type TunnelLog, type SessionFactory, type TunnelEnd, type TunnelServerOptions, type TunnelClientOptions } from './endpoints.js';
export { relay } from './relay.js';
