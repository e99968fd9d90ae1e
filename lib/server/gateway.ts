import type * as http from 'node:http';
import * as net from 'node:net';
import type * as https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import type { ExtensionBuilder } from '../wisp/extensions/extension.js';
import { ExtensionId } from '../wisp/extensions/ids.js';
import type { ServerMux } from '../wisp/server-mux.js';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { lengthDelimitedTransport } from '../transport/length-delimited.js';
import { AuthLimiter } from './auth-limiter.js';
import { TrustedProxies, clientAddress } from './client-limits.js';
import { socketHandle, type ConnectionHandle } from './connection-handle.js';
import { createDnsLookup } from './dns-lookup.js';
import { GatewayFront, reject } from './gateway-front.js';
import { gatewayExtensions } from './gateway-extensions.js';
import { serveConnection, type GatewayShared } from './gateway-connection.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './gateway-options.js';
import { stopConnections, type StopReport } from './graceful-stop.js';
import { addressUrl, createWebServer, listenOn, parseListenAddress, reloadTls } from './listeners.js';
import { silentLogger, type Logger } from './logger.js';
import { GatewayMetrics } from './metrics.js';
import { loadOnUse } from './load-on-use.js';
import { listenMetrics, metricsHandler } from './metrics-endpoint.js';
import { assertValidPolicy } from './policy.js';
import type { RelayCounters } from './relay-tcp.js';
import type { LookupFunction } from './resolve.js';
import { localCounter, redisCounter, type ConnectionCounter } from './shared-limits.js';
import { SharedStats } from './shared-stats.js';
import { TurnScheduler } from './turn-scheduler.js';

export { selectProtocol } from './gateway-front.js';

/** A snapshot of what a gateway is doing. */
export interface GatewayStats {
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly streams: number;
  readonly streamsTotal: number;
  /** Client → target bytes relayed. */
  readonly bytesUp: number;
  /** Target → client bytes relayed. */
  readonly bytesDown: number;
  /** Event-loop delay since the start or {@link Gateway.resetEventLoopLag}, 99th percentile, ms. */
  readonly eventLoopLagP99Ms: number;
  /** Event-loop delay since the start or {@link Gateway.resetEventLoopLag}, worst, ms. */
  readonly eventLoopLagMaxMs: number;
  /** Dials and credential checks waiting for their turn. */
  readonly waitingTurns: number;
  /** V8 heap in use by this process, bytes (`process.memoryUsage().heapUsed`). */
  readonly heapUsed: number;
}

/** Live connections listed in the stats document (the oldest ones). */
const LIVE_LISTED = 50;

/** How often the status page's throughput history takes a sample. */
const SAMPLE_MS = 5000;

/**
 * A Wisp server you can deploy: WebSocket upgrades under a path prefix (or, with the
 * length-delimited transport, plain TCP or Unix connections) become a ServerMux each, and
 * each stream is dialled to its target under a destination policy and limits.
 */
export class Gateway {
  private readonly options: ResolvedGatewayOptions;
  private readonly logger: Logger;
  private readonly counter: ConnectionCounter;
  private readonly muxes = new Map<ServerMux, ConnectionHandle>();
  private readonly counters: RelayCounters = { up: 0, down: 0 };
  private readonly shared: GatewayShared;
  private readonly proxies: TrustedProxies;
  private readonly front: GatewayFront;
  private readonly eventLoop = monitorEventLoopDelay({ resolution: 10 });
  private readonly redis: Redis | undefined;
  /** Stats summed over the gateways sharing the Redis (`redis`). */
  readonly sharedStats: SharedStats | undefined;
  private readonly sampler: ReturnType<typeof setInterval> | undefined;
  private connectionsTotal = 0;
  private streamsTotal = 0;
  private nextConnection = 1;
  private closing = false;
  /** The metrics endpoint's own listener (`metrics: HOST:PORT`), once listening. */
  metricsServer: http.Server | undefined;
  /** Metrics and history, when `metrics` or `metricsPath` is set. */
  readonly metrics: GatewayMetrics | undefined;
  /** The HTTP (or HTTPS) server carrying WebSocket upgrades. */
  readonly server: http.Server;
  /** The listener of the length-delimited transport (`transport: 'length-delimited'`). */
  readonly byteServer: net.Server | undefined;
  private readonly ownsServer: boolean;

  /** @internal Use {@link createGateway}. */
  constructor(options: GatewayOptions) {
    const o = (this.options = resolveGatewayOptions(options));
    assertValidPolicy(o.policy);
    this.logger = o.logger ?? silentLogger;
    this.redis = o.redis === undefined ? undefined : new (loadOnUse<typeof import('ioredis')>('ioredis').Redis)(o.redis, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis?.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.counter = o.connectionCounter ?? (this.redis ? redisCounter(this.redis, { maxPerClient: o.maxConnectionsPerClient }) : localCounter(o.maxConnectionsPerClient));
    const lookup: LookupFunction | undefined = o.lookup ?? (o.dns ? createDnsLookup(o.dns) : undefined);
    this.metrics = o.metrics !== undefined || o.metricsPath !== undefined ? new GatewayMetrics(() => this.stats()) : undefined;
    const metrics = this.metrics;
    const authLimiter = new AuthLimiter(
      { maxFailures: o.authMaxFailures, windowMs: o.authFailureWindowMs, lockoutMs: o.authLockoutMs },
      (client, what) =>
        what === 'locking'
          ? this.logger.warn(`${client} locked out for ${o.authLockoutMs} ms after ${o.authMaxFailures} failed logins`)
          : this.logger.info(`${client} refused: locked out after failed logins`),
      this.redis ? { redis: this.redis } : (o.authStore ?? 'memory'),
      (_client, id) => metrics?.onAuthFailure(id === ExtensionId.Password ? 'password' : 'key'),
    );
    const extensions: ExtensionBuilder[] = gatewayExtensions(o);
    this.shared = {
      options: o,
      logger: this.logger,
      extensions,
      authLimiter,
      turns: new TurnScheduler(o.dialsPerTurn, undefined, { perConnection: o.maxDialsPerConnection, total: o.maxDialsInFlight }),
      targets: new Set(),
      counters: this.counters,
      muxes: this.muxes,
      live: new Map(),
      metrics,
      lookup,
      countStream: () => void this.streamsTotal++,
    };
    this.eventLoop.enable();
    this.sharedStats = this.redis ? new SharedStats(this.redis, () => this.stats()) : undefined;
    const proxies = (this.proxies = new TrustedProxies([...o.trustedProxies]));
    const endpoint = metrics && o.metricsPath ? metricsHandler({ metrics, stats: () => this.statsDocument(), prefix: o.metricsPath, ...(o.metricsAllow ? { allow: o.metricsAllow } : {}) }) : undefined;
    this.front = new GatewayFront({
      options: o,
      logger: this.logger,
      proxies,
      counters: this.counters,
      lookup,
      stopping: () => this.closing,
      admit: (client) => this.admit(client),
      label: (client) => `conn ${this.nextConnection++} ${client}`,
      serve: (accepted) => {
        this.connectionsTotal++;
        serveConnection(this.shared, accepted);
      },
      metricsRequest: endpoint,
    });
    this.ownsServer = !o.server;
    const httpOptions: http.ServerOptions = {
      // Half-open requests must not hold sockets for Node's default 90 s header wait.
      headersTimeout: o.httpHeadersTimeoutMs,
      requestTimeout: o.httpRequestTimeoutMs,
      // Node checks those timeouts only this often (default 30 s): keep it within reach.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(o.httpHeadersTimeoutMs / 4))),
    };
    this.server = o.server ?? createWebServer(httpOptions, o.tls, (req, res) => this.front.request(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.front.route(req, socket, head) && this.ownsServer) reject(socket, 404, 'Not Found');
    });
    this.byteServer = o.transport === 'length-delimited' ? net.createServer((socket) => this.acceptByteStream(socket)) : undefined;
    if (metrics) {
      metrics.history.sample(this.stats());
      this.sampler = setInterval(() => metrics.history.sample(this.stats()), SAMPLE_MS);
      this.sampler.unref();
    }
  }

  /** The URL clients use: `ws://` or `wss://host:port/prefix`, `tcp://host:port`, or `unix:/path`. */
  get url(): string {
    if (this.byteServer) return addressUrl(this.byteServer, 'length-delimited', false, this.options.prefix);
    return addressUrl(this.server, 'websocket', this.options.tls !== undefined, this.options.prefix);
  }

  /**
   * Takes a WebSocket upgrade if its path is the Wisp prefix (like wisp-js's `routeRequest`),
   * or a wsproxy path when enabled. Returns false, leaving the socket alone, for other paths.
   */
  routeRequest(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.front.route(req, socket, head);
  }

  /** Counters for a stats line. */
  stats(): GatewayStats {
    let streams = 0;
    for (const mux of this.muxes.keys()) streams += mux.streamCount;
    const loop = this.eventLoop;
    const lag = { p99: loop.count > 0 ? loop.percentile(99) / 1e6 : 0, max: loop.count > 0 ? loop.max / 1e6 : 0 };
    return {
      eventLoopLagP99Ms: Math.round(lag.p99 * 10) / 10,
      eventLoopLagMaxMs: Math.round(lag.max * 10) / 10,
      waitingTurns: this.shared.turns.waiting,
      heapUsed: process.memoryUsage().heapUsed,
      connections: this.muxes.size,
      connectionsTotal: this.connectionsTotal,
      streams,
      streamsTotal: this.streamsTotal,
      bytesUp: this.counters.up,
      bytesDown: this.counters.down,
    };
  }

  /** {@link stats}, plus `cluster`: the counters summed over every gateway sharing the Redis. */
  async statsDocument(): Promise<GatewayStats & { readonly live: object[]; readonly cluster?: object }> {
    // The oldest LIVE_LISTED connections, so the document stays small however many there are.
    const live = [...this.shared.live.values()].slice(0, LIVE_LISTED).map(({ label, version, since, mux }) => ({ label, version, since, streams: mux.streamCount }));
    const own = { ...this.stats(), live };
    return this.sharedStats ? { ...own, cluster: await this.sharedStats.sum() } : own;
  }

  /** Starts the event-loop figures of {@link stats} afresh (the CLI does after each stats line). */
  resetEventLoopLag(): void {
    this.eventLoop.reset();
  }

  /**
   * Re-reads the TLS certificate and key (after a renewal; `wisp-rx serve` does on SIGHUP):
   * new connections get the new pair. A bad pair throws and leaves the old one in force.
   */
  reloadTls(): void {
    if (!this.options.tls) return;
    reloadTls(this.server as https.Server, this.options.tls);
  }

  /**
   * Stops gracefully: stops accepting (new upgrades get 503), refuses new streams, lets open
   * streams run until they end or `graceMs` (default 5 s) passes, then sends CLOSE(0, reason)
   * on every connection ahead of its queued DATA, closes each socket properly, flushes data
   * received from clients to their targets, and terminates only what is left after
   * `deadlineMs` (default 2 s). The README's "Graceful stop" says what happens to data.
   */
  async close({ reason = CloseReason.Voluntary, graceMs = 5000, deadlineMs = 2000 }: { reason?: number; graceMs?: number; deadlineMs?: number } = {}): Promise<StopReport> {
    this.closing = true;
    const listeners = [this.ownsServer ? this.server : undefined, this.byteServer, this.metricsServer].filter((s): s is net.Server => s !== undefined);
    const closed = Promise.all(listeners.filter((s) => s.listening).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (this.ownsServer) this.server.closeIdleConnections();
    this.metricsServer?.closeAllConnections();
    const report = await stopConnections(this.muxes, this.shared.targets, { graceMs, deadlineMs, reason });
    for (const ws of this.front.wss.clients) ws.terminate(); // upgrades still in their handshake
    if (this.ownsServer) this.server.closeAllConnections();
    await closed;
    this.front.wss.close();
    this.eventLoop.disable();
    if (this.sampler) clearInterval(this.sampler);
    await this.counter.close();
    await this.sharedStats?.close();
    await this.redis?.quit().catch(() => undefined);
    return report;
  }

  /**
   * @internal Waits (up to `ms`) for the shared Redis, so the first clients are counted there:
   * while it cannot be reached the limits fail open (and a warning says so).
   */
  async redisReady(ms: number): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      timer.unref();
      redis.once('ready', () => (clearTimeout(timer), resolve(true)));
    });
    if (!ready) this.logger.warn('redis not reachable yet: limits are per gateway until it is');
  }

  /** A connection slot for `client`, logging a refusal. */
  private async admit(client: string): Promise<(() => void) | undefined> {
    const release = await this.counter.acquire(client);
    if (!release) this.logger.warn(`${client} refused: over ${this.options.maxConnectionsPerClient} connections`);
    return release;
  }

  /** A TCP or Unix connection of the length-delimited transport. */
  private acceptByteStream(socket: net.Socket): void {
    socket.on('error', () => undefined);
    if (this.closing) return void socket.destroy();
    // No proxy headers on a byte stream: the peer is the client (Unix sockets have none).
    const client = socket.remoteAddress ? clientAddress(socket.remoteAddress, {}, this.proxies) : 'local';
    socket.pause();
    void this.admit(client).then((release) => {
      if (!release || socket.destroyed) return release ? release() : void socket.destroy();
      const transport = lengthDelimitedTransport(socket, { maxPacketSize: this.options.maxPacketSize });
      this.connectionsTotal++;
      serveConnection(this.shared, { transport, handle: socketHandle(socket), client, release, v2: false, label: `conn ${this.nextConnection++} ${client}` });
    });
  }
}

/** Creates a gateway and, unless `options.server` was given, starts listening. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = new Gateway(options);
  const o = resolveGatewayOptions(options);
  await gateway.redisReady(5000);
  const address = o.listen !== undefined ? parseListenAddress(o.listen, o.host) : { kind: 'tcp' as const, host: o.host, port: o.port };
  const where = address.kind === 'unix' && o.socketMode !== undefined ? { ...address, mode: o.socketMode } : address;
  if (gateway.byteServer) await listenOn(gateway.byteServer, where);
  else if (!options.server) await listenOn(gateway.server, where);
  if (o.metrics !== undefined && gateway.metrics) {
    const at = parseListenAddress(o.metrics) as { host: string; port: number }; // TCP: checked by the options
    gateway.metricsServer = await listenMetrics({
      metrics: gateway.metrics,
      stats: () => gateway.statsDocument(),
      host: at.host,
      port: at.port,
      ...(o.metricsAllow ? { allow: o.metricsAllow } : {}),
    });
  }
  return gateway;
}
