import { WispError } from '../errors.js';
import type { ExtensionBuilder } from '../wisp/extensions/extension.js';
import type { PasswordValidator } from '../wisp/extensions/password.js';
import type { DestinationPolicy } from './policy.js';
import type { LookupFunction } from './resolve.js';
import type { Logger } from './logger.js';
import { checkDeployOptions, type GatewayDeployOptions } from './gateway-deploy-options.js';
import { DIAL_LIMITS } from './turn-scheduler.js';

/** Everything a {@link Gateway} can be told. Every field is optional; defaults are safe. */
export interface GatewayOptions extends GatewayDeployOptions {
  /** Address to listen on (ignored with `server`). Default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on, 0 for any (ignored with `server`). Default 4000. */
  readonly port?: number;
  /**
   * An existing HTTP server to attach to instead of listening: the gateway listens to its
   * 'upgrade' events and takes only those under `prefix`; other requests and upgrades are left
   * to the application, and `close()` leaves the server running.
   */
  readonly server?: import('node:http').Server;
  /** WebSocket upgrades for this path (must end with `/`) are Wisp. Default `/`. */
  readonly prefix?: string;
  /** Where streams may go. Defaults deny loopback, private, link-local and other special ranges. */
  readonly policy?: DestinationPolicy;
  /** Per-stream buffer granted to clients, in packets. Default 128. */
  readonly bufferSize?: number;
  /** Streams one connection may hold open (more get 0x49). Default 256. */
  readonly maxStreamsPerConnection?: number;
  /** Connections one client address may hold open (more get HTTP 429). Default 32. */
  readonly maxConnectionsPerClient?: number;
  /** Proxies whose `X-Forwarded-For` is believed (addresses or CIDR blocks). Default none. */
  readonly trustedProxies?: readonly string[];
  /** A Wisp handshake must finish within this. Default 10,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Dialing a target must finish within this (else 0x43). Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** A stream with no traffic for this long is closed with 0x47; 0 = never. Default 600,000 ms. */
  readonly idleTimeoutMs?: number;
  /**
   * Largest WebSocket message accepted; larger ones close the connection (1009). Default
   * 16 MiB: browsers' Wisp clients (epoxy-tls) send a whole request body as one DATA packet,
   * so this is also the largest upload they can make. Memory stays bounded: a connection holds
   * at most one message being received plus `maxQueuedBytes` waiting for targets.
   */
  readonly maxPacketSize?: number;
  /**
   * Received bytes one connection may have waiting for slow targets, over all its streams,
   * before the gateway stops reading it (until half is written). Default 64 MiB.
   */
  readonly maxQueuedBytes?: number;
  /** Control bytes (CLOSE, CONTINUE...) one connection may queue past the WebSocket's high-water mark before the gateway stops reading it until it drains. Default 256 KiB. */
  readonly maxOutputBacklog?: number;
  /** A connection whose unread replies keep reading paused this long is closed with CLOSE(0, Throttled); 0 = never. Default 30,000 ms. */
  readonly outputStallTimeoutMs?: number;
  /** A connection with no open stream for this long (from its handshake, or since its last stream closed) is closed with CLOSE(0, Voluntary); v1 and v2 alike; 0 = never. Default 120,000 ms. */
  readonly connectionIdleTimeoutMs?: number;
  /** A request (or WebSocket upgrade) on the server the gateway owns must send its headers within this (else 408), as nginx's 60 s. Default 60,000 ms. */
  readonly httpHeadersTimeoutMs?: number;
  /** A plain HTTP request on the server the gateway owns must arrive whole within this. Default 60,000 ms. */
  readonly httpRequestTimeoutMs?: number;
  /** Failed password or key attempts one client address may make within authFailureWindowMs before it is locked out (refused with Throttled 0x49, credentials unchecked) for authLockoutMs; 0 = no limit. Default 10. */
  readonly authMaxFailures?: number;
  /** The window failed logins are counted over. Default 60,000 ms. */
  readonly authFailureWindowMs?: number;
  /** How long an address that reached authMaxFailures is refused. Default 300,000 ms. */
  readonly authLockoutMs?: number;
  /** Target dials and credential checks run per event-loop turn, taken round-robin across connections, so one client's burst cannot hold the loop. Default 64. */
  readonly dialsPerTurn?: number;
  /** Target dials one connection may have in progress (started, not yet connected or failed); its later CONNECTs wait in its queue, which its stream limit bounds. Default 1,024: one connection can take at most a quarter of maxDialsInFlight; with the default stream limit (256) it never binds, and at 256 it slowed 1,024 downloads on one connection (a slot frees only when the connect event is handled, late while the loop relays). */
  readonly maxDialsPerConnection?: number;
  /** Target dials the gateway may have in progress over all connections; the rest wait, served round-robin by connection. Default 4,096. */
  readonly maxDialsInFlight?: number;
  /** Speak only Wisp v1 even when clients offer v2 (not with required authentication). Default false. */
  readonly v1Only?: boolean;
  /** Message of the day sent to v2 clients. */
  readonly motd?: string;
  /** Password authentication: a validator, or a table of username → password. */
  readonly passwords?: PasswordValidator | Readonly<Record<string, string>>;
  /** Ed25519 public keys allowed to authenticate (32 raw bytes each). */
  readonly publicKeys?: readonly Uint8Array[];
  /**
   * With passwords or keys configured: clients must authenticate. Default true. Wisp v1
   * clients cannot, so they are then refused with CLOSE(0, AuthRequired).
   */
  readonly authRequired?: boolean;
  /** More v2 extensions to offer (custom ones). */
  readonly extensions?: readonly ExtensionBuilder[];
  /** Where log lines go. Default silent. */
  readonly logger?: Logger;
  /** DNS lookup used for targets (tests inject one). Default `dns.promises.lookup`. */
  readonly lookup?: LookupFunction;
}

/** {@link GatewayOptions} with defaults applied. */
type Unset = 'server' | 'motd' | 'passwords' | 'publicKeys' | 'lookup' | 'logger' | keyof GatewayDeployOptions;
export type ResolvedGatewayOptions = Required<Omit<GatewayOptions, Unset>> & Pick<GatewayOptions, Unset>;

/** Applies defaults and rejects nonsense with `InvalidArgument`. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const resolved: ResolvedGatewayOptions = {
    host: '127.0.0.1',
    port: 4000,
    prefix: '/',
    policy: {},
    bufferSize: 128,
    maxStreamsPerConnection: 256,
    maxConnectionsPerClient: 32,
    trustedProxies: [],
    handshakeTimeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    idleTimeoutMs: 600_000,
    maxPacketSize: 16 * 1024 * 1024,
    maxQueuedBytes: 64 * 1024 * 1024,
    maxOutputBacklog: 256 * 1024,
    outputStallTimeoutMs: 30_000,
    connectionIdleTimeoutMs: 120_000,
    httpHeadersTimeoutMs: 60_000,
    httpRequestTimeoutMs: 60_000,
    authMaxFailures: 10,
    authFailureWindowMs: 60_000,
    authLockoutMs: 300_000,
    dialsPerTurn: 64,
    maxDialsPerConnection: DIAL_LIMITS.perConnection,
    maxDialsInFlight: DIAL_LIMITS.total,
    v1Only: false,
    authRequired: true,
    extensions: [],
    ...stripUndefined(options),
  };
  if (!resolved.prefix.startsWith('/') || !resolved.prefix.endsWith('/')) {
    throw new WispError('InvalidArgument', `prefix must start and end with "/", got ${JSON.stringify(resolved.prefix)}`);
  }
  if (resolved.v1Only && resolved.authRequired && (resolved.passwords !== undefined || (resolved.publicKeys?.length ?? 0) > 0)) {
    throw new WispError('InvalidArgument', 'v1Only cannot authenticate clients (Wisp v1 has no authentication): drop v1Only or set authRequired: false');
  }
  checkDeployOptions(resolved, resolved.prefix);
  positiveInt('port', resolved.port, 0, 65535);
  positiveInt('bufferSize', resolved.bufferSize, 1, 0xffffffff);
  positiveInt('maxStreamsPerConnection', resolved.maxStreamsPerConnection, 1, 0xfffffffe);
  positiveInt('maxConnectionsPerClient', resolved.maxConnectionsPerClient, 1, Number.MAX_SAFE_INTEGER);
  positiveInt('handshakeTimeoutMs', resolved.handshakeTimeoutMs, 1, 2 ** 31 - 1);
  positiveInt('connectTimeoutMs', resolved.connectTimeoutMs, 1, 2 ** 31 - 1);
  positiveInt('idleTimeoutMs', resolved.idleTimeoutMs, 0, 2 ** 31 - 1);
  positiveInt('maxPacketSize', resolved.maxPacketSize, 64, 2 ** 30);
  positiveInt('maxQueuedBytes', resolved.maxQueuedBytes, 1, Number.MAX_SAFE_INTEGER);
  positiveInt('maxOutputBacklog', resolved.maxOutputBacklog, 1, Number.MAX_SAFE_INTEGER);
  positiveInt('outputStallTimeoutMs', resolved.outputStallTimeoutMs, 0, 2 ** 31 - 1);
  positiveInt('connectionIdleTimeoutMs', resolved.connectionIdleTimeoutMs, 0, 2 ** 31 - 1);
  positiveInt('httpHeadersTimeoutMs', resolved.httpHeadersTimeoutMs, 1, 2 ** 31 - 1);
  positiveInt('httpRequestTimeoutMs', resolved.httpRequestTimeoutMs, 1, 2 ** 31 - 1);
  if (resolved.httpHeadersTimeoutMs > resolved.httpRequestTimeoutMs) {
    throw new WispError('InvalidArgument', `httpHeadersTimeoutMs (${resolved.httpHeadersTimeoutMs}) must not exceed httpRequestTimeoutMs (${resolved.httpRequestTimeoutMs})`);
  }
  positiveInt('authMaxFailures', resolved.authMaxFailures, 0, Number.MAX_SAFE_INTEGER);
  positiveInt('authFailureWindowMs', resolved.authFailureWindowMs, 1, 2 ** 31 - 1);
  positiveInt('authLockoutMs', resolved.authLockoutMs, 1, 2 ** 31 - 1);
  positiveInt('dialsPerTurn', resolved.dialsPerTurn, 1, 1_000_000);
  positiveInt('maxDialsPerConnection', resolved.maxDialsPerConnection, 1, 1_000_000);
  positiveInt('maxDialsInFlight', resolved.maxDialsInFlight, 1, 1_000_000);
  return resolved;
}

function positiveInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WispError('InvalidArgument', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
