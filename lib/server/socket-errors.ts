/**
 * Maps Node socket errors to Wisp close reasons, separately for the connect phase and for
 * an established stream, because the same errno means different things in each
 * (ETIMEDOUT while connecting is a connect timeout; afterwards it is a transfer timeout).
 * @module
 */
import { CloseReason } from '../wisp/packet/close-reason.js';

function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Close reason for an error while connecting: ECONNREFUSED → 0x44; ETIMEDOUT (the kernel
 * gave up) → 0x43; EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN → 0x42; anything else → 0x03.
 */
export function mapConnectError(err: unknown): number {
  switch (errorCode(err)) {
    case 'ECONNREFUSED':
      return CloseReason.ConnectionRefused;
    case 'ETIMEDOUT':
      return CloseReason.ConnectTimeout;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return CloseReason.HostUnreachable;
    default:
      return CloseReason.NetworkError;
  }
}

/**
 * Close reason for an error on a connected target socket: ETIMEDOUT → 0x47 TransferTimeout;
 * ECONNREFUSED → 0x44 (a connected UDP socket reports ICMP port-unreachable this way);
 * anything else, ECONNRESET and EPIPE included → 0x03 NetworkError.
 */
export function mapSocketError(err: unknown): number {
  switch (errorCode(err)) {
    case 'ETIMEDOUT':
      return CloseReason.TransferTimeout;
    case 'ECONNREFUSED':
      return CloseReason.ConnectionRefused;
    default:
      return CloseReason.NetworkError;
  }
}
