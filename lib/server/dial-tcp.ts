/**
 * Opens the TCP connection for a Wisp stream, to an address the policy already checked.
 * @module
 */
import * as net from 'node:net';
import { WispError } from '../errors.js';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { DialError } from './dial-error.js';
import { mapConnectError } from './socket-errors.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A checked destination: an IP literal (never a name), its family, and a port. */
export interface DialTarget {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
}

/** Options for {@link dialTcp}. */
export interface DialTcpOptions {
  /** Give up after this many milliseconds (0 < ms <= 2^31-1) with 0x43 ConnectTimeout. */
  readonly connectTimeoutMs: number;
  /** Cancels the attempt: the socket is destroyed and the promise rejects with reason 0x02. */
  readonly signal?: AbortSignal;
  /** Source address to bind, for gateways with a dedicated egress interface. */
  readonly localAddress?: string;
  /** Replaces `net.connect` (tests, instrumentation). */
  readonly connect?: (options: net.TcpNetConnectOpts) => net.Socket;
}

/** Validates a {@link DialTarget}: a literal of the stated family and a port in 1–65535. */
export function assertDialTarget(target: DialTarget): void {
  const { address, family, port } = target;
  // An IP literal is what makes the dialer skip DNS; a name here would reopen the
  // rebinding window between the policy check and the connect.
  if (net.isIP(address) !== family || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DialError(CloseReason.InvalidInfo, `invalid dial target ${JSON.stringify(target)}`);
  }
}

/** A `lookup` for net.connect that answers the checked address at once, without DNS. */
function answerWith(target: DialTarget): net.LookupFunction {
  return (_host, options, callback) => {
    if (options.all) (callback as unknown as (err: null, all: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** `address:port` for messages, bracketing IPv6. */
export function formatTarget(target: DialTarget): string {
  return target.family === 6 ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`;
}

/**
 * Connects to `target` and resolves with the connected socket (Nagle disabled: Wisp
 * already batches, and interactive streams need low latency). Rejects with a
 * {@link DialError}: 0x44 refused, 0x43 timed out, 0x42 unreachable, 0x03 other errors,
 * 0x41 invalid target, 0x02 aborted. On rejection the socket has been destroyed.
 * @throws WispError `InvalidArgument` (as a rejection) for a bad `connectTimeoutMs`.
 */
export function dialTcp(target: DialTarget, options: DialTcpOptions): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const { connectTimeoutMs, signal } = options;
    // setTimeout silently turns delays above 2^31-1 ms into 1 ms, so those are refused too.
    if (!(connectTimeoutMs > 0 && connectTimeoutMs <= MAX_TIMER_MS)) {
      throw new WispError('InvalidArgument', `connectTimeoutMs must be in (0, ${MAX_TIMER_MS}], got ${connectTimeoutMs}`);
    }
    assertDialTarget(target);
    if (signal?.aborted) throw new DialError(CloseReason.Voluntary, 'dial aborted', { cause: signal.reason });

    let socket: net.Socket;
    try {
      socket = (options.connect ?? net.connect)({
        // With an IP literal as host, net.connect defers the connect syscall to
        // process.nextTick: after the whole batch of CONNECTs being read, so the first
        // dial of a burst waited for the last CONNECT. A host that is not a literal and a
        // lookup answering the checked address at once connect within this call.
        host: `[${target.address}]`,
        lookup: answerWith(target),
        port: target.port,
        family: target.family,
        noDelay: true,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
    } catch (err) {
      // net.connect validates some options (e.g. localAddress) synchronously.
      throw new DialError(mapConnectError(err), `connect to ${formatTarget(target)} failed: ${String(err)}`, { cause: err });
    }
    const where = formatTarget(target);

    let settled = false;
    const finish = (err?: DialError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        socket.setNoDelay(true);
        resolve(socket);
        return;
      }
      // The socket is abandoned; swallow any late error so it cannot crash the process.
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    };
    const onConnect = () => finish();
    const onError = (err: Error) =>
      finish(new DialError(mapConnectError(err), `connect to ${where} failed: ${err.message}`, { cause: err }));
    const onAbort = () => finish(new DialError(CloseReason.Voluntary, 'dial aborted', { cause: signal?.reason }));
    // Our own timer, not socket.setTimeout(): that one measures idleness and would have to
    // be undone after connecting, while this bounds the whole attempt.
    const timer = setTimeout(
      () => finish(new DialError(CloseReason.ConnectTimeout, `connect to ${where} timed out after ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );

    socket.once('connect', onConnect);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
