import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from '../../rx.js';
import { WispError } from '../../errors.js';
import { closeReasonName } from '../packet/close-reason.js';
import { encodeContinue } from '../packet/encode.js';
import { PacketType, type Packet } from '../packet/types.js';
import type { HandshakeResult } from './result.js';

/** Options of the v1 client handshake. */
export interface ClientV1Options {
  /** How long to wait for the server's CONTINUE on stream 0. */
  readonly timeoutMs: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Client side of the Wisp v1 handshake: waits for CONTINUE on stream 0 (the server's buffer
 * size), emits a {@link HandshakeResult}, then passes every later packet through unchanged.
 * Errors with `HandshakeTimeout` if it does not come in time, `ConnectionClosedByPeer` on a
 * CLOSE of stream 0, and `HandshakeFailed` on any other first packet or an early end.
 */
export function clientHandshakeV1(options: ClientV1Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable((subscriber) => {
      let done = false;
      const timer = (options.scheduler ?? asyncScheduler).schedule(() => {
        subscriber.error(new WispError('HandshakeTimeout', `no CONTINUE from the server within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const upstream = source$.subscribe({
        next(packet) {
          if (done) return subscriber.next(packet);
          timer.unsubscribe();
          const failure = firstPacketError(packet);
          if (failure) return subscriber.error(failure);
          done = true;
          subscriber.next({
            kind: 'handshake',
            version: { major: 1, minor: 0 },
            bufferSize: (packet as { bufferRemaining: number }).bufferRemaining,
            downgraded: false,
            extensions: [],
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          if (!done) subscriber.error(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
          else subscriber.complete();
        },
      });
      return () => {
        timer.unsubscribe();
        upstream.unsubscribe();
      };
    });
}

/** Returns the error for a first packet that is not CONTINUE(0), or undefined when it is. */
export function firstPacketError(packet: Packet): WispError | undefined {
  if (packet.type === PacketType.Continue && packet.streamId === 0) return undefined;
  if (packet.type === PacketType.Close && packet.streamId === 0 && !('extension' in packet)) {
    return new WispError('ConnectionClosedByPeer', `the server closed the connection: ${closeReasonName(packet.reason)}`, {
      reason: packet.reason,
    });
  }
  return new WispError('HandshakeFailed', `expected CONTINUE on stream 0, got packet type 0x${packet.type.toString(16)}`);
}

/** Options of the v1 server handshake. */
export interface ServerV1Options {
  /** Per-stream buffer size (packets) to announce. */
  readonly bufferSize: number;
  /** Sends an encoded packet to the client. */
  readonly send: (packet: Uint8Array) => void;
}

/**
 * Server side of the Wisp v1 handshake: on subscription sends CONTINUE(0, bufferSize), emits
 * the {@link HandshakeResult} at once, then passes the client's packets through.
 */
export function serverHandshakeV1(options: ServerV1Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable((subscriber) => {
      options.send(encodeContinue(0, options.bufferSize));
      subscriber.next({ kind: 'handshake', version: { major: 1, minor: 0 }, bufferSize: options.bufferSize, downgraded: false, extensions: [] });
      return source$.subscribe(subscriber);
    });
}
