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
import { resolveTarget, type LookupFunction } from './resolve.js';

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
  /** Waits for this connection's turn to dial (see `TurnScheduler`); absent: dial at once. */
  readonly turn?: () => Promise<void>;
  /** Open target sockets, tracked for the graceful stop (each removes itself on close). */
  readonly targets?: Set<net.Socket>;
}

/**
 * Serves one stream: checks the request against the policy, resolves the name and checks
 * every address, dials the checked address (never the name again: no DNS-rebinding window),
 * confirms the stream, then relays. Failures close the stream with the protocol's reason.
 */
export async function serveStream({ connect, stream }: IncomingStream, context: StreamContext): Promise<void> {
  const { logger } = context;
  const where = `${context.label} #${stream.id} ${connect.kind} ${connect.host}:${connect.port}`;
  const refused = checkRequest(context.policy, { type: connect.kind, hostname: connect.host, port: connect.port });
  if (refused !== undefined) {
    logger.info(`${where} refused: ${closeReasonName(refused)}`);
    return stream.close(refused);
  }
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  const onClosed = stream.closed$.subscribe({ next: stop, error: stop });
  try {
    if (context.turn) {
      // The policy check above is cheap and answers at once; resolving and dialling wait
      // for this connection's turn, so a burst of CONNECTs is spread across event-loop turns.
      await context.turn();
      if (stream.closed) return;
    }
    const target = await resolveTarget(connect.host, context.policy, {
      signal: abort.signal,
      ...(context.lookup ? { lookup: context.lookup } : {}),
    });
    const dialTarget = { ...target, port: connect.port };
    if (connect.kind === 'tcp') {
      const reader = new HeadroomReader();
      const socket = await dialTcp(dialTarget, {
        connectTimeoutMs: context.connectTimeoutMs,
        signal: abort.signal,
        connect: (options) => net.connect({ ...options, onread: reader.onread }),
      });
      if (stream.closed) return void socket.destroy();
      const targets = context.targets;
      if (targets) {
        targets.add(socket);
        socket.once('close', () => targets.delete(socket));
      }
      stream.confirm();
      relayTcp(stream, socket, reader, { idleTimeoutMs: context.idleTimeoutMs, counters: context.counters });
    } else {
      const socket = await dialUdp(dialTarget, { signal: abort.signal });
      if (stream.closed) return void socket.close();
      stream.confirm();
      relayUdp(stream, socket, { idleTimeoutMs: context.idleTimeoutMs, counters: context.counters });
    }
    logger.debug(`${where} open via ${target.address}`);
  } catch (error) {
    if (stream.closed) return;
    const reason = isDialError(error) ? error.reason : CloseReason.NetworkError;
    logger.info(`${where} failed: ${closeReasonName(reason)}`);
    stream.close(reason);
  } finally {
    onClosed.unsubscribe();
  }
}
