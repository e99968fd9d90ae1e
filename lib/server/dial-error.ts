/**
 * The error every gateway dial step (policy, DNS, connect) rejects with. It always carries
 * the Wisp close reason byte the gateway should send for the refused stream.
 * @module
 */
import { WispError } from '../errors.js';
import { closeReasonName } from '../wisp/packet/close-reason.js';

/**
 * A failed attempt to reach a stream's target. `reason` is the close reason to send
 * (e.g. 0x42 HostUnreachable, 0x44 ConnectionRefused, 0x48 HostBlocked).
 *
 * `code` is `'DialFailed'`; branch on `reason` for why.
 */
export class DialError extends WispError {
  /** The close reason byte for the stream; always present on a DialError. */
  declare readonly reason: number;

  constructor(reason: number, message: string, options: { cause?: unknown } = {}) {
    super('DialFailed', `${message} [${closeReasonName(reason)}]`, { reason, cause: options.cause });
    this.name = 'DialError';
  }
}

/** True when `err` is a {@link DialError}. */
export function isDialError(err: unknown): err is DialError {
  return err instanceof DialError;
}
