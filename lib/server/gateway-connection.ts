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
import { ServerMux, type IncomingStream } from '../wisp/server-mux.js';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import { encodeClose } from '../wisp/packet/encode.js';
import type { Transport } from '../transport/transport.js';
import type { AuthLimiter } from './auth-limiter.js';
import { terminateUnlessClosedWithin, type ConnectionHandle } from './connection-handle.js';
import { closeWhenIdle } from './connection-idle.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './metrics.js';
import type { RelayCounters } from './relay-tcp.js';
import type { LookupFunction } from './resolve.js';
import { serveStream } from './serve-stream.js';
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
  const started = performance.now();
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
  shared.muxes.set(mux, accepted.handle);
  shared.live.set(mux, { label, version: v2 ? 2 : 1, since: Date.now(), mux });
  shared.metrics?.onConnection(v2 ? 2 : 1);
  logger.info(`${label} open (${v2 ? 'v2' : 'v1'})`);
  mux.ready.then(
    () => {
      shared.metrics?.onHandshake((performance.now() - started) / 1000, true);
      logger.debug(`${label} handshake done, extensions [${mux.extensionIds.join(', ')}]`);
    },
    (error: WispError) => {
      shared.metrics?.onHandshake((performance.now() - started) / 1000, false);
      logger.debug(`${label} handshake failed: ${error.code}`); // the "closed" line gives the reason
    },
  );
  const context = {
    policy: o.policy,
    connectTimeoutMs: o.connectTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    counters: shared.counters,
    logger,
    label,
    targets: shared.targets,
    dial: (job: SlotJob) => shared.turns.dial(accepted.handle, job),
    ...(shared.lookup ? { lookup: shared.lookup } : {}),
  };
  const metrics = shared.metrics;
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streams$ completes when the connection ends
  mux.streams$.subscribe({
    next: (incoming) => {
      shared.countStream();
      if (metrics) countStream(metrics, incoming);
      serveStream(incoming, context);
    },
    error: (error: WispError) => logger.info(`${label} streams ended: ${describeFailure(error, o)}`),
  });
  const ended = (end: MuxEnd): void => {
    if (!shared.muxes.delete(mux)) return;
    shared.live.delete(mux);
    release();
    terminateUnlessClosedWithin(accepted.handle, CLOSING_DEADLINE_MS);
    const why = end.error ? `: ${describeFailure(end.error, o)}` : end.reason !== undefined ? ` (${closeReasonName(end.reason)})` : '';
    // A connection cut for abuse (Throttled) is worth a warning; the rest is routine.
    if (end.reason === CloseReason.Throttled) logger.warn(`${label} closed${why}`);
    else logger.info(`${label} closed${why}`);
  };
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
  mux.closed$.subscribe({ next: ended, error: (error: WispError) => ended({ error }) });
  closeWhenIdle(mux, o.connectionIdleTimeoutMs, () => {
    logger.info(`${label} idle: no stream for ${o.connectionIdleTimeoutMs} ms`);
    void mux.close(CloseReason.Voluntary);
  });
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
