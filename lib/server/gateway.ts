import * as http from 'node:http';
import type * as net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WispError } from '../errors.js';
import type { ExtensionBuilder } from '../extensions/extension.js';
import type { MuxEnd } from '../mux/actor.js';
import { ServerMux } from '../mux/server-mux.js';
import { WISP_V2_PROTOCOL } from '../mux/negotiated.js';
import { CloseReason, closeReasonName } from '../packet/close-reason.js';
import { encodeClose } from '../packet/encode.js';
import { wsTransport } from '../transport/ws.js';
import { ConnectionLimiter, TrustedProxies, clientAddress } from './client-limits.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './gateway-options.js';
import { silentLogger, type Logger } from './logger.js';
import { assertValidPolicy } from './policy.js';
import type { RelayCounters } from './relay-tcp.js';
import { serveStream } from './serve-stream.js';
import { closeWhenIdle } from './connection-idle.js';
import { reject, selectProtocol } from './upgrade.js';
import { gatewayExtensions } from './gateway-extensions.js';
import { AuthLimiter } from './auth-limiter.js';
import { stopConnections, type StopReport } from './graceful-stop.js';
import { TurnScheduler } from './turn-scheduler.js';

/** How long a connection's WebSocket closing handshake may take once its mux has ended. */
const CLOSING_DEADLINE_MS = 2000;

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

/**
 * A Wisp server you can deploy: WebSocket upgrades under a path prefix become a ServerMux
 * each, and each stream is dialed to its target under a destination policy and limits.
 */
export class Gateway {
  private readonly options: ResolvedGatewayOptions;
  private readonly logger: Logger;
  private readonly wss: WebSocketServer;
  private readonly limiter: ConnectionLimiter;
  private readonly proxies: TrustedProxies;
  private readonly muxes = new Map<ServerMux, WebSocket>();
  /** Target sockets of open TCP streams (a graceful stop flushes client data to them). */
  private readonly targets = new Set<net.Socket>();
  private readonly counters: RelayCounters = { up: 0, down: 0 };
  private readonly extensions: ExtensionBuilder[];
  private readonly authLimiter: AuthLimiter;
  private readonly turns: TurnScheduler;
  private readonly eventLoop = monitorEventLoopDelay({ resolution: 10 });
  private connectionsTotal = 0;
  private streamsTotal = 0;
  private nextConnection = 1;
  private closing = false;
  /** The HTTP server carrying the gateway. */
  readonly server: http.Server;
  private readonly ownsServer: boolean;

  /** @internal Use {@link createGateway}. */
  constructor(options: GatewayOptions) {
    this.options = resolveGatewayOptions(options);
    assertValidPolicy(this.options.policy);
    this.logger = this.options.logger ?? silentLogger;
    this.limiter = new ConnectionLimiter({ maxPerClient: this.options.maxConnectionsPerClient });
    this.proxies = new TrustedProxies([...this.options.trustedProxies]);
    this.extensions = gatewayExtensions(this.options);
    this.turns = new TurnScheduler(this.options.dialsPerTurn);
    this.eventLoop.enable();
    const o = this.options;
    this.authLimiter = new AuthLimiter({ maxFailures: o.authMaxFailures, windowMs: o.authFailureWindowMs, lockoutMs: o.authLockoutMs }, (client, what) =>
      what === 'locking'
        ? this.logger.warn(`${client} locked out for ${o.authLockoutMs} ms after ${o.authMaxFailures} failed logins`)
        : this.logger.info(`${client} refused: locked out after failed logins`),
    );
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.options.maxPacketSize,
      handleProtocols: selectProtocol,
    });
    this.ownsServer = !this.options.server;
    this.server =
      this.options.server ??
      http.createServer(
        {
          // Half-open requests must not hold sockets for Node's default 90 s header wait.
          headersTimeout: this.options.httpHeadersTimeoutMs,
          requestTimeout: this.options.httpRequestTimeoutMs,
          // Node checks those timeouts only this often (default 30 s): keep it within reach.
          connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(this.options.httpHeadersTimeoutMs / 4))),
        },
        (_req, res) => this.answerPlainHttp(res),
      );
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.routeRequest(req, socket, head) && this.ownsServer) reject(socket, 404, 'Not Found');
    });
  }

  /** `ws://host:port/prefix` of a gateway that listens itself. */
  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') return '';
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `ws://${host}:${address.port}${this.options.prefix}`;
  }

  /**
   * Takes a WebSocket upgrade if its path is the Wisp prefix (like wisp-js's `routeRequest`).
   * Returns false, leaving the socket alone, for other paths.
   */
  routeRequest(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== this.options.prefix) return false;
    if (this.closing) return reject(socket, 503, 'Service Unavailable'), true;
    const client = clientAddress(req.socket.remoteAddress, req.headers, this.proxies);
    const release = this.limiter.acquire(client);
    if (!release) {
      this.logger.warn(`${client} refused: over ${this.options.maxConnectionsPerClient} connections`);
      return reject(socket, 429, 'Too Many Requests'), true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serveConnection(ws, client, release));
    return true;
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
      waitingTurns: this.turns.waiting,
      heapUsed: process.memoryUsage().heapUsed,
      connections: this.muxes.size,
      connectionsTotal: this.connectionsTotal,
      streams,
      streamsTotal: this.streamsTotal,
      bytesUp: this.counters.up,
      bytesDown: this.counters.down,
    };
  }

  /** Starts the event-loop figures of {@link stats} afresh (the CLI does after each stats line). */
  resetEventLoopLag(): void {
    this.eventLoop.reset();
  }

  /**
   * Stops gracefully: stops accepting (new upgrades get 503), refuses new streams, lets open
   * streams run until they end or `graceMs` (default 5 s) passes, then sends CLOSE(0, reason)
   * on every connection ahead of its queued DATA, closes each WebSocket with a close frame,
   * flushes data received from clients to their targets, and terminates only what is left
   * after `deadlineMs` (default 2 s). See {@link stopConnections}.
   */
  async close({ reason = CloseReason.Voluntary, graceMs = 5000, deadlineMs = 2000 }: { reason?: number; graceMs?: number; deadlineMs?: number } = {}): Promise<StopReport> {
    this.closing = true;
    const serverClosed = this.ownsServer ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    if (this.ownsServer) this.server.closeIdleConnections();
    const report = await stopConnections(this.muxes, this.targets, { graceMs, deadlineMs, reason });
    for (const ws of this.wss.clients) ws.terminate(); // upgrades still in their handshake
    if (this.ownsServer) this.server.closeAllConnections();
    await serverClosed;
    this.wss.close();
    this.eventLoop.disable();
    return report;
  }

  private serveConnection(ws: WebSocket, client: string, release: () => void): void {
    const label = `conn ${this.nextConnection++} ${client}`;
    const v2 = !this.options.v1Only && ws.protocol.split(/,\s*/).includes(WISP_V2_PROTOCOL);
    if (!v2 && this.authRequired()) {
      // Wisp v1 has no authentication: serving it would let any client past the passwords
      // and keys simply by not offering v2 (as wisp-js's client also does after a socket error).
      this.logger.info(`${label} refused: v1 client, authentication required`);
      ws.once('close', release);
      ws.on('error', () => undefined);
      ws.send(encodeClose(0, CloseReason.AuthRequired));
      ws.close(1008, 'authentication required');
      return;
    }
    const transport = wsTransport(ws);
    const mux = ServerMux.accept(transport, {
      bufferSize: this.options.bufferSize,
      maxStreams: this.options.maxStreamsPerConnection,
      maxQueuedBytes: this.options.maxQueuedBytes,
      maxOutputBacklog: this.options.maxOutputBacklog,
      outputStallMs: this.options.outputStallTimeoutMs,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      v2: !this.options.v1Only,
      extensions: this.authLimiter.guard(this.extensions, client, () => this.turns.turn(ws)),
    });
    this.muxes.set(mux, ws);
    this.connectionsTotal++;
    this.logger.info(`${label} open (${v2 ? 'v2' : 'v1'})`);
    mux.ready.then(
      () => this.logger.debug(`${label} handshake done, extensions [${mux.extensionIds.join(', ')}]`),
      (error: WispError) => this.logger.info(`${label} handshake failed: ${error.code}`),
    );
    const context = {
      policy: this.options.policy,
      connectTimeoutMs: this.options.connectTimeoutMs,
      idleTimeoutMs: this.options.idleTimeoutMs,
      counters: this.counters,
      logger: this.logger,
      label,
      targets: this.targets,
      turn: () => this.turns.turn(ws),
      ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
    };
    mux.streams$.subscribe({
      next: (incoming) => {
        this.streamsTotal++;
        void serveStream(incoming, context);
      },
      error: (error: WispError) => this.logger.info(`${label} streams ended: ${this.describeFailure(error)}`),
    });
    const ended = (end: MuxEnd): void => {
      if (!this.muxes.delete(mux)) return;
      release();
      // The closing handshake gets CLOSING_DEADLINE_MS, not ws's 30 s: a peer cut for not
      // reading (Throttled) will never answer it, and ws reads on until then, so such a peer
      // could keep the gateway parsing (and discarding) its flood.
      if (ws.readyState !== ws.CLOSED) {
        const deadline = setTimeout(() => ws.terminate(), CLOSING_DEADLINE_MS);
        deadline.unref();
        ws.once('close', () => clearTimeout(deadline));
      }
      const why = end.error ? `: ${this.describeFailure(end.error)}` : end.reason !== undefined ? ` (${closeReasonName(end.reason)})` : '';
      // A connection cut for abuse (Throttled) is worth a warning; the rest is routine.
      if (end.reason === CloseReason.Throttled) this.logger.warn(`${label} closed${why}`);
      else this.logger.info(`${label} closed${why}`);
    };
    mux.closed$.subscribe({ next: ended, error: (error: WispError) => ended({ error }) });
    closeWhenIdle(mux, this.options.connectionIdleTimeoutMs, () => {
      this.logger.info(`${label} idle: no stream for ${this.options.connectionIdleTimeoutMs} ms`);
      void mux.close(CloseReason.Voluntary);
    });
  }

  /** A log line's cause of a failed connection, naming the setting to change where one applies. */
  private describeFailure(error: WispError): string {
    if (error.code === 'PacketTooLarge') {
      return `PacketTooLarge: the client sent a message over maxPacketSize (${this.options.maxPacketSize} bytes); raise --max-packet-size to accept it`;
    }
    return `${error.code}: ${error.message}`;
  }

  /** Passwords or keys are configured and clients must use them. */
  private authRequired(): boolean {
    const o = this.options;
    return o.authRequired && (o.passwords !== undefined || (o.publicKeys !== undefined && o.publicKeys.length > 0));
  }


  private answerPlainHttp(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`wisp-rx gateway: connect a Wisp client over WebSocket to ${this.options.prefix}\n`);
  }
}

/** Creates a gateway and, unless `options.server` was given, starts listening. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = new Gateway(options);
  if (!options.server) {
    await new Promise<void>((resolve, rejectListen) => {
      gateway.server.once('error', rejectListen);
      gateway.server.listen(options.port ?? 4000, options.host ?? '127.0.0.1', () => {
        gateway.server.off('error', rejectListen);
        resolve();
      });
    });
  }
  return gateway;
}

export { selectProtocol };
