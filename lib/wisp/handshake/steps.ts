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
  if (isThenable(value)) value.then(next, fail);
  else next(value);
}

/** A value that is a Promise (or any thenable). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}

/** Maps a value that may be a Promise, staying synchronous when it is not. */
export function then<T, R>(value: T | PromiseLike<T>, map: (v: T) => R, onRejected?: (error: unknown) => R): R | PromiseLike<R> {
  return isThenable(value) ? value.then(map, onRejected) : map(value);
}

/** The values of a list that may hold Promises: the list itself when none is one. */
export function all<T>(values: readonly (T | PromiseLike<T>)[]): T[] | PromiseLike<T[]> {
  return values.some(isThenable) ? Promise.all(values) : (values as T[]);
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
