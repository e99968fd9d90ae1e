/**
 * The gateway's deployment options: where and how it listens, what else it serves, and what
 * it shares with other gateways. Part of {@link GatewayOptions}; every field is optional.
 * @module
 */
import { WispError } from '../errors.js';
import type { DnsLookupOptions } from './dns-lookup.js';
import { parseListenAddress, type TlsFiles } from './listeners.js';
import type { ConnectionCounter } from './shared-limits.js';
import type { AuthStore } from './auth-limiter.js';

/** How clients carry Wisp to the gateway. */
export type GatewayTransport = 'websocket' | 'length-delimited';

/** See {@link GatewayOptions}. */
export interface GatewayDeployOptions {
  /** Listen here instead of `host`/`port`: `HOST:PORT` or `unix:/path`. */
  readonly listen?: string;
  /** File mode of a Unix socket (e.g. `0o660`). Default: as the umask leaves it. */
  readonly socketMode?: number;
  /** Serve TLS (wss://) with these PEM files; {@link Gateway.reloadTls} re-reads them. */
  readonly tls?: TlsFiles;
  /**
   * `websocket` (default), or `length-delimited`: Wisp over a plain byte stream, each packet
   * behind its u32 little-endian length, v1 handshake (epoxy-server's carrier).
   */
  readonly transport?: GatewayTransport;
  /** Also accept wsproxy: a WebSocket to `prefix` + `host:port` is one raw TCP connection. Default false. */
  readonly wsproxy?: boolean;
  /** Serve metrics, stats and the status page on their own listener (`HOST:PORT`). */
  readonly metrics?: string;
  /** Serve them on the gateway's own listener under this path instead (starts and ends with `/`). */
  readonly metricsPath?: string;
  /** Who may read them: addresses or CIDR blocks. Default loopback only. */
  readonly metricsAllow?: readonly string[];
  /** DNS for targets: servers, cache, order, IPv6 (see `createDnsLookup`). Ignored with `lookup`. */
  readonly dns?: DnsLookupOptions;
  /** A Redis URL: per-client connection limits and failed-login counts shared by every gateway using it. */
  readonly redis?: string;
  /** Counts connections per client across processes (set by `--workers`); default this process. */
  readonly connectionCounter?: ConnectionCounter;
  /** Where failed logins are counted (set by `--workers`; `redis` sets its own). Default this process. */
  readonly authStore?: AuthStore;
}

/** Refuses nonsense in the deployment options with `InvalidArgument`. */
export function checkDeployOptions(options: GatewayDeployOptions, prefix: string): void {
  if (options.listen !== undefined) parseListenAddress(options.listen);
  if (options.metrics !== undefined && parseListenAddress(options.metrics).kind !== 'tcp') {
    throw new WispError('InvalidArgument', `metrics listens on TCP (HOST:PORT), got ${JSON.stringify(options.metrics)}`);
  }
  if (options.transport !== undefined && options.transport !== 'websocket' && options.transport !== 'length-delimited') {
    throw new WispError('InvalidArgument', `transport must be "websocket" or "length-delimited", got ${JSON.stringify(options.transport)}`);
  }
  const path = options.metricsPath;
  if (path !== undefined) {
    if (!path.startsWith('/') || !path.endsWith('/') || path === '/') {
      throw new WispError('InvalidArgument', `metricsPath must start and end with "/" and not be "/", got ${JSON.stringify(path)}`);
    }
    if (path === prefix || prefix.startsWith(path)) throw new WispError('InvalidArgument', `metricsPath ${path} must not contain the Wisp prefix ${prefix}`);
    if (options.transport === 'length-delimited') throw new WispError('InvalidArgument', 'metricsPath needs the HTTP listener: use metrics (HOST:PORT) with the length-delimited transport');
  }
  if (options.socketMode !== undefined && (!Number.isInteger(options.socketMode) || options.socketMode < 0 || options.socketMode > 0o777)) {
    throw new WispError('InvalidArgument', `socketMode must be a file mode from 0 to 0o777, got ${options.socketMode}`);
  }
  if (options.wsproxy && options.transport === 'length-delimited') throw new WispError('InvalidArgument', 'wsproxy needs the WebSocket transport');
}
