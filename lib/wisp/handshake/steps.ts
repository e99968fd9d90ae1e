import { asyncScheduler, type Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { WispError, type WispErrorCode } from '../../errors.js';
import { CloseReason, closeReasonName } from '../packet/close-reason.js';
import type { Packet } from '../packet/types.js';

/** Packets a peer may send before the handshake is done; more is a protocol error. */
export const MAX_EARLY_PACKETS = 256;

/**
 * Runs `next` with the value of `value`: synchronously when it is a plain value (so handshake
 * operators stay synchronous, and marble-testable, with synchronous extensions), after it
 * settles when it is a Promise.
 */
export function settle<T>(value: T | PromiseLike<T>, next: (v: T) => void, fail: (e: unknown) => void): void {
  if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function') {
    (value as PromiseLike<T>).then(next, fail);
    return;
  }
  next(value as T);
}

/** {@link settle} over a list, in order; one async element makes the rest wait for it. */
export function settleAll<T>(values: readonly (T | PromiseLike<T>)[], next: (v: T[]) => void, fail: (e: unknown) => void): void {
  const out: T[] = [];
  const step = (i: number): void => {
    if (i === values.length) return next(out);
    settle(
      values[i],
      (v) => {
        out.push(v);
        step(i + 1);
      },
      fail,
    );
  };
  step(0);
}

/** One restartable handshake-step timer. */
export class StepTimer {
  private timer: Subscription | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (error: WispError) => void,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  /** (Re)starts the timer for a step described by `waitingFor`. */
  arm(waitingFor: string): void {
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(() => {
      this.onTimeout(new WispError('HandshakeTimeout', `handshake step timed out after ${this.timeoutMs} ms: ${waitingFor}`));
    }, this.timeoutMs);
  }

  stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}

const reasonCodes = new Map<number, WispErrorCode>([
  [CloseReason.PasswordInvalid, 'PasswordExtensionCredsInvalid'],
  [CloseReason.SignatureInvalid, 'CertAuthExtensionSigInvalid'],
  [CloseReason.AuthRequired, 'AuthRequired'],
  [CloseReason.IncompatibleExtensions, 'ExtensionsNotSupported'],
  [CloseReason.Throttled, 'Throttled'],
]);

/** The error for a handshake refused with CLOSE(0, reason), as either side reports it. */
export function refusalError(reason: number, who: 'server' | 'client', extensionIds?: readonly number[]): WispError {
  const code = reasonCodes.get(reason) ?? 'ConnectionClosedByPeer';
  const text = who === 'server' ? 'the server refused the connection' : 'the client was refused';
  return new WispError(code, `${text}: ${closeReasonName(reason)}`, {
    reason,
    ...(extensionIds === undefined ? {} : { extensionIds }),
  });
}

/**
 * `error` carrying the close reason of the refusal this side sent (CLOSE on stream 0), as the
 * peer's refusal errors do; an error that already has a reason is returned as it is.
 */
export function withReason(error: WispError, reason: number): WispError {
  if (error.reason !== undefined) return error;
  return new WispError(error.code, error.message, { reason, extensionIds: error.extensionIds, cause: error.cause });
}

/** Describes a packet for error messages. */
export function describe(packet: Packet): string {
  return `packet type 0x${packet.type.toString(16)} on stream ${packet.streamId}`;
}

/**
 * Subscribes a handshake's packet handler to the inbound packets. Until the handshake is done,
 * a handler that throws, an upstream error and an early end all fail it; afterwards errors and
 * completion pass straight through.
 */
export function subscribeHandshake<T>(
  source$: Observable<Packet>,
  subscriber: Subscriber<T>,
  done: () => boolean,
  onPacket: (packet: Packet) => void,
  fail: (error: unknown) => void,
): Subscription {
  return source$.subscribe({
    next(packet) {
      try {
        onPacket(packet);
      } catch (error) {
        fail(error);
      }
    },
    error: (error: unknown) => (done() ? subscriber.error(error) : fail(error)),
    complete() {
      if (done()) subscriber.complete();
      else fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
    },
  });
}
