import * as net from 'node:net';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import type { IncomingStream } from '../wisp/server-mux.js';
import { isDialError } from './dial-error.js';
import { dialTcp } from './dial-tcp.js';
import { dialUdp } from './dial-udp.js';
import type { Logger } from './logger.js';
import { checkRequest, type DestinationPolicy } from './policy.js';
import { HeadroomReader, relayTcp, type RelayCounters } from './relay-tcp.js';
import { relayUdp } from './relay-udp.js';
import { literalTarget, resolveTarget, type LookupFunction } from './resolve.js';
import type { SlotJob } from './turn-scheduler.js';

/** What {@link serveStream} needs from the gateway. */
export interface StreamContext {
  readonly policy: DestinationPolicy;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly counters: RelayCounters;
  readonly logger: Logger;
  /** Connection label for log lines. */
  readonly label: string;
  readonly lookup?: LookupFunction;
  /**
   * Runs the dial when this connection has a turn and a dial slot (see `TurnScheduler.dial`),
   * perhaps at once; the job releases the slot when the socket connected or failed.
   */
  readonly dial?: (job: SlotJob) => void;
  /** Waits for this connection's turn to dial (used when `dial` is absent); absent too: dial at once. */
  readonly turn?: () => Promise<void>;
  /** Open target sockets, tracked for the graceful stop (each removes itself on close). */
  readonly targets?: Set<net.Socket>;
}

const NO_SLOT = (): void => undefined;

/**
 * Serves one stream: checks the request against the policy, resolves the name and checks
 * every address, dials the checked address (never the name again: no DNS-rebinding window),
 * confirms the stream, then relays. Failures close the stream with the protocol's reason.
 *
 * The policy check is cheap and answers at once; resolving and dialling wait for the
 * connection's turn and a dial slot, so a burst of CONNECTs is spread across event-loop
 * turns. An IP literal within the turn's budget is dialled before this returns.
 */
export function serveStream(incoming: IncomingStream, context: StreamContext): void {
  const { connect, stream } = incoming;
  const refused = checkRequest(context.policy, { type: connect.kind, hostname: connect.host, port: connect.port });
  if (refused !== undefined) {
    context.logger.info(`${where(incoming, context)} refused: ${closeReasonName(refused)}`);
    return stream.close(refused);
  }
  if (context.dial) context.dial((release) => void open(incoming, context, release));
  else if (context.turn) void context.turn().then(() => open(incoming, context, NO_SLOT));
  else void open(incoming, context, NO_SLOT);
}

function where({ connect, stream }: IncomingStream, context: StreamContext): string {
  return `${context.label} #${stream.id} ${connect.kind} ${connect.host}:${connect.port}`;
}

/**
 * Resolves, dials (releasing the slot when that settles), confirms and relays. What the dial
 * needed (the abort controller, the subscription that aborts) is dropped before the relay
 * starts: nothing the relay keeps may reach this function's scope, or every idle stream
 * would hold it (~0.8 KiB).
 */
async function open(incoming: IncomingStream, context: StreamContext, release: () => void): Promise<void> {
  const { connect, stream } = incoming;
  const { logger } = context;
  if (stream.closed) return release();
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  const onClosed = stream.closed$.subscribe({ next: stop, error: stop });
  try {
    // A literal needs no lookup: no await before the dial, so it starts in this turn.
    const target =
      literalTarget(connect.host, context.policy) ??
      (await resolveTarget(connect.host, context.policy, {
        signal: abort.signal,
        ...(context.lookup ? { lookup: context.lookup } : {}),
      }));
    const dialTarget = { ...target, port: connect.port };
    if (connect.kind === 'tcp') {
      const reader = new HeadroomReader();
      let socket: net.Socket;
      try {
        socket = await dialTcp(dialTarget, {
          connectTimeoutMs: context.connectTimeoutMs,
          signal: abort.signal,
          connect: (options) => net.connect({ ...options, onread: reader.onread }),
        });
      } finally {
        release();
      }
      // Before the relay subscribes to closed$: an ended waiter is pruned only then.
      onClosed.unsubscribe();
      if (stream.closed) return void socket.destroy();
      stream.confirm();
      relayTcp(stream, socket, reader, context);
    } else {
      release(); // a UDP socket binds at once: nothing to bound
      const socket = await dialUdp(dialTarget, { signal: abort.signal });
      onClosed.unsubscribe();
      if (stream.closed) return void socket.close();
      stream.confirm();
      relayUdp(stream, socket, { idleTimeoutMs: context.idleTimeoutMs, counters: context.counters });
    }
    if (logger.level === 'debug') logger.debug(`${where(incoming, context)} open via ${target.address}`);
  } catch (error) {
    release();
    if (stream.closed) return;
    const reason = isDialError(error) ? error.reason : CloseReason.NetworkError;
    logger.info(`${where(incoming, context)} failed: ${closeReasonName(reason)}`);
    stream.close(reason);
  } finally {
    onClosed.unsubscribe();
  }
}
