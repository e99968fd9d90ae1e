/**
 * Opens the UDP socket for a Wisp stream. The socket is `connect()`ed to the checked
 * address, so the kernel delivers only that peer's datagrams and `send()` needs no address.
 * @module
 */
import * as dgram from 'node:dgram';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { DialError } from './dial-error.js';
import { assertDialTarget, formatTarget, type DialTarget } from './dial-tcp.js';
import { mapConnectError } from './socket-errors.js';

/** Options for {@link dialUdp}. */
export interface DialUdpOptions {
  /** Cancels the attempt: the socket is closed and the promise rejects with reason 0x02. */
  readonly signal?: AbortSignal;
  /** Source address to bind (default: the wildcard address of the target's family). */
  readonly localAddress?: string;
  /** Replaces `dgram.createSocket` (tests, instrumentation). */
  readonly createSocket?: (type: dgram.SocketType) => dgram.Socket;
}

/**
 * Creates a `udp4`/`udp6` socket for `target.family`, binds it to an ephemeral port and
 * connects it to `target`. Resolves once connected. Rejects with a {@link DialError}
 * (0x42 unreachable, 0x03 other errors, 0x41 invalid target, 0x02 aborted); the socket is
 * closed on rejection. No timeout: a UDP connect is a local route lookup, not a handshake.
 */
export function dialUdp(target: DialTarget, options: DialUdpOptions = {}): Promise<dgram.Socket> {
  return new Promise<dgram.Socket>((resolve, reject) => {
    const { signal } = options;
    assertDialTarget(target);
    if (signal?.aborted) throw new DialError(CloseReason.Voluntary, 'dial aborted', { cause: signal.reason });

    const type = target.family === 6 ? 'udp6' : 'udp4';
    const socket = options.createSocket?.(type) ?? dgram.createSocket({ type });
    const where = formatTarget(target);

    let settled = false;
    const finish = (err?: DialError) => {
      if (settled) return;
      settled = true;
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve(socket);
        return;
      }
      socket.on('error', () => {}); // abandoned: late errors must not crash the process
      try {
        socket.close();
      } catch {
        // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
      }
      reject(err);
    };
    const onConnect = () => finish();
    const onError = (err: Error) =>
      finish(new DialError(mapConnectError(err), `UDP connect to ${where} failed: ${err.message}`, { cause: err }));
    const onAbort = () => finish(new DialError(CloseReason.Voluntary, 'dial aborted', { cause: signal?.reason }));

    socket.once('connect', onConnect);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });

    const connect = () => {
      try {
        socket.connect(target.port, target.address);
      } catch (err) {
        // Synchronous failures (bad arguments, socket already closed by an abort).
        onError(err as Error);
      }
    };
    if (options.localAddress === undefined) {
      connect(); // connect() binds to the wildcard address and an ephemeral port itself
    } else {
      socket.bind({ address: options.localAddress, port: 0 }, connect);
    }
  });
}
