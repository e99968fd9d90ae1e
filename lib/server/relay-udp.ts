import type * as dgram from 'node:dgram';
import { CloseReason } from '../wisp/packet/close-reason.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { RelayCounters } from './relay-tcp.js';
import { mapSocketError } from './socket-errors.js';

/** Datagrams from the target waiting for the transport; past this, new ones are dropped. */
const MAX_IN_FLIGHT = 64;

/** Options of {@link relayUdp}. */
export interface UdpRelayOptions {
  /** Close the stream with TransferTimeout (0x47) after this long without a datagram. 0 = never. */
  readonly idleTimeoutMs: number;
  readonly counters?: RelayCounters;
}

/**
 * Relays a Wisp UDP stream and a connected UDP socket: one DATA packet is one datagram each
 * way. UDP may drop, so when the WebSocket cannot keep up, datagrams are dropped rather than
 * queued without bound.
 */
export function relayUdp(stream: MuxStream, socket: dgram.Socket, options: UdpRelayOptions): void {
  const counters = options.counters;
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = (): void => {
    if (options.idleTimeoutMs <= 0) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => stream.close(CloseReason.TransferTimeout), options.idleTimeoutMs);
  };
  const delivered = (): void => {
    inFlight--;
  };
  socket.on('message', (datagram) => {
    idle();
    if (inFlight >= MAX_IN_FLIGHT) return;
    if (counters) counters.down += datagram.length;
    inFlight++;
    stream.send(datagram, delivered);
  });
  socket.on('error', (error) => stream.close(mapSocketError(error)));
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    subscription.unsubscribe();
    try {
      socket.close();
    } catch {
      // already closed
    }
  };
  // data$ errors when the connection drops (TransportClosed): that ends the relay like a close.
  const subscription = stream.data$.subscribe({
    next(datagram) {
      idle();
      if (counters) counters.up += datagram.length;
      socket.send(datagram);
    },
    error: () => finish(),
  });
  idle();
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
  stream.closed$.subscribe({ next: finish, error: finish });
}
