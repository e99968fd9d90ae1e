/**
 * One client connection of the gateway, whatever carries it (a WebSocket, or a byte stream
 * with length-delimited packets): the ServerMux, its streams dialled under the policy, its
 * log lines and metrics, and its idle timer.
 * @module
 */
import type * as net from 'node:net';
import type { WispError } from '../errors.js';
import type { ExtensionBuilder } from '../wisp/extensions/extension.js';
import type { MuxEnd } from '../core/actor.js';
import { ServerMux, type IncomingStream, type ServerMuxWatcher } from '../wisp/server-mux.js';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import { encodeClose } from '../wisp/packet/encode.js';
import type { Transport } from '../transport/transport.js';
import type { AuthLimiter } from './auth-limiter.js';
import { terminateUnlessClosedWithin, type ConnectionHandle } from './connection-handle.js';
import { DeadlineQueue, type DeadlineOwner } from '../core/deadline-queue.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './metrics.js';
import type { RelayCounters } from './relay-tcp.js';
import type { LookupFunction } from './resolve.js';
import { serveStream, type StreamContext } from './serve-stream.js';
import type { SlotJob, TurnScheduler } from './turn-scheduler.js';

/** How long a connection's socket may take to close once its mux has ended. */
const CLOSING_DEADLINE_MS = 2000;

/** One live connection, as the status page lists it. */
export interface LiveConnection {
  readonly label: string;
  readonly version: 1 | 2;
  /** Epoch ms when it was accepted. */
  readonly since: number;
  readonly mux: ServerMux;
}

/** What every connection of one gateway shares. */
export interface GatewayShared {
  readonly options: ResolvedGatewayOptions;
  readonly logger: Logger;
  readonly extensions: readonly ExtensionBuilder[];
  readonly authLimiter: AuthLimiter;
  readonly turns: TurnScheduler;
  readonly targets: Set<net.Socket>;
  readonly counters: RelayCounters;
  readonly muxes: Map<ServerMux, ConnectionHandle>;
  /** The same connections, described for the status page. */
  readonly live: Map<ServerMux, LiveConnection>;
  readonly metrics: GatewayMetrics | undefined;
  readonly lookup: LookupFunction | undefined;
  /** Counts a new stream in the gateway's totals. */
  readonly countStream: () => void;
}

/** A client that has a connection slot, on a transport ready for Wisp. */
export interface AcceptedClient {
  readonly transport: Transport;
  readonly handle: ConnectionHandle;
  /** The client's address, as limits and logs account it. */
  readonly client: string;
  /** Gives the connection slot back. */
  readonly release: () => void;
  /** The client offered Wisp v2 (and the gateway speaks it). */
  readonly v2: boolean;
  /** `conn N ADDRESS`, for log lines. */
  readonly label: string;
}

/** Serves one client connection until it ends. */
export function serveConnection(shared: GatewayShared, accepted: AcceptedClient): void {
  const { options: o, logger } = shared;
  const { transport, client, release, v2, label } = accepted;
  if (!v2 && authRequired(o)) {
    // Wisp v1 has no authentication: serving it would let any client past the passwords
    // and keys simply by not offering v2 (as wisp-js's client also does after a socket error).
    logger.info(`${label} refused: v1 client, authentication required`);
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
    transport.closed$.subscribe({ next: release, error: release });
    transport.send(encodeClose(0, CloseReason.AuthRequired));
    transport.close(1008, 'authentication required');
    return;
  }
  const mux = ServerMux.accept(transport, {
    bufferSize: o.bufferSize,
    maxStreams: o.maxStreamsPerConnection,
    maxQueuedBytes: o.maxQueuedBytes,
    maxOutputBacklog: o.maxOutputBacklog,
    outputStallMs: o.outputStallTimeoutMs,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    v2: !o.v1Only,
    extensions: shared.authLimiter.guard(shared.extensions, client, () => shared.turns.turn(accepted.handle)),
  });
  const connection = new GatewayConnection(shared, accepted, mux);
  shared.muxes.set(mux, accepted.handle);
  shared.live.set(mux, connection);
  shared.metrics?.onConnection(connection.version);
  logger.info(`${label} open (${v2 ? 'v2' : 'v1'})`);
  mux.watch(connection);
}

/**
 * One served connection: what the status page lists, and the mux's watcher (a method each,
 * not closures and subscriptions: an idle connection should cost little beyond its socket).
 * Closes the connection once it holds no stream for `connectionIdleTimeoutMs`, from the end
 * of its handshake and again each time its last stream closes: without that a client (v1
 * especially, which has no handshake timeout after the server's CONTINUE) could hold a slot
 * and its memory for ever. One deadline in the shared idle queue, set again only when the
 * stream count passes through zero.
 */
class GatewayConnection implements LiveConnection, ServerMuxWatcher, DeadlineOwner {
  readonly since = Date.now();
  readonly version: 1 | 2;
  private readonly started = performance.now();
  /**
   * @internal The idle deadline ({@link DeadlineOwner}), in the gateway's shared queue for
   * its timeout (unref'd: an idle connection keeps no process alive), 0 while it has streams.
   */
  deadline = 0;
  /** @internal */
  deadlineSlot = 0;
  /** Made with the first stream: most of what it holds is the gateway's. */
  private context: StreamContext | undefined;

  constructor(
    private readonly shared: GatewayShared,
    private readonly accepted: AcceptedClient,
    readonly mux: ServerMux,
  ) {
    this.version = accepted.v2 ? 2 : 1;
  }

  get label(): string {
    return this.accepted.label;
  }

  ready(): void {
    this.shared.metrics?.onHandshake((performance.now() - this.started) / 1000, true);
    const { logger } = this.shared;
    // Only built when it is written: every accepted connection passes here.
    if (logger.level === 'debug') logger.debug(`${this.label} handshake done, extensions [${this.mux.extensionIds.join(', ')}]`);
    if (this.mux.streamCount === 0) this.empty();
  }

  failed(error: WispError): void {
    this.shared.metrics?.onHandshake((performance.now() - this.started) / 1000, false);
    this.shared.logger.debug(`${this.label} handshake failed: ${error.code}`); // the "closed" line gives the reason
  }

  stream(incoming: IncomingStream): void {
    this.notIdle();
    const { shared } = this;
    shared.countStream();
    if (shared.metrics) countStream(shared.metrics, incoming);
    serveStream(incoming, (this.context ??= this.streamContext()));
  }

  empty(): void {
    const ms = this.shared.options.connectionIdleTimeoutMs;
    if (ms > 0) DeadlineQueue.of(ms, true).set(this);
  }

  private notIdle(): void {
    if (this.deadline !== 0) DeadlineQueue.of(this.shared.options.connectionIdleTimeoutMs, true).clear(this);
  }

  /** @internal The idle deadline passed. */
  deadlinePassed(): void {
    if (this.mux.streamCount > 0) return;
    this.shared.logger.info(`${this.label} idle: no stream for ${this.shared.options.connectionIdleTimeoutMs} ms`);
    void this.mux.close(CloseReason.Voluntary);
  }

  ended(end: MuxEnd): void {
    this.notIdle();
    const { shared, mux, label } = this;
    if (!shared.muxes.delete(mux)) return;
    shared.live.delete(mux);
    this.accepted.release();
    terminateUnlessClosedWithin(this.accepted.handle, CLOSING_DEADLINE_MS);
    const why = end.error ? `: ${describeFailure(end.error, shared.options)}` : end.reason !== undefined ? ` (${closeReasonName(end.reason)})` : '';
    // A connection cut for abuse (Throttled) is worth a warning; the rest is routine.
    if (end.reason === CloseReason.Throttled) shared.logger.warn(`${label} closed${why}`);
    else shared.logger.info(`${label} closed${why}`);
  }

  private streamContext(): StreamContext {
    const { shared, accepted } = this;
    const o = shared.options;
    return {
      policy: o.policy,
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      counters: shared.counters,
      logger: shared.logger,
      label: accepted.label,
      targets: shared.targets,
      dial: (job: SlotJob) => shared.turns.dial(accepted.handle, job),
      ...(shared.lookup ? { lookup: shared.lookup } : {}),
    };
  }
}

/** Counts a stream in the metrics: opened now, closed (by reason) when it ends. */
function countStream(metrics: GatewayMetrics, incoming: IncomingStream): void {
  const { kind, host, port } = incoming.connect;
  metrics.onStream(kind);
  const closed = (reason: number): void => {
    metrics.onStreamClosed(kind, reason);
    if (reason === CloseReason.HostBlocked) metrics.onRefused(reason, `${host}:${port}`);
  };
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
  incoming.stream.closed$.subscribe({ next: closed, error: () => closed(CloseReason.NetworkError) });
}

/** A log line's cause of a failed connection, naming the setting to change where one applies. */
export function describeFailure(error: WispError, options: ResolvedGatewayOptions): string {
  if (error.code === 'PacketTooLarge') {
    return `PacketTooLarge: the client sent a message over maxPacketSize (${options.maxPacketSize} bytes); raise --max-packet-size to accept it`;
  }
  return `${error.code}: ${error.message}`;
}

/** Passwords or keys are configured and clients must use them. */
export function authRequired(o: ResolvedGatewayOptions): boolean {
  return o.authRequired && (o.passwords !== undefined || (o.publicKeys !== undefined && o.publicKeys.length > 0));
}
