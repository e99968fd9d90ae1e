/**
 * Close reasons carried by CLOSE packets. A reason byte we do not know is kept as its raw
 * number (never rejected), so this is a set of named constants rather than a closed enum.
 */
export const CloseReason = {
  Unknown: 0x01,
  Voluntary: 0x02,
  NetworkError: 0x03,
  IncompatibleExtensions: 0x04,
  InvalidInfo: 0x41,
  HostUnreachable: 0x42,
  ConnectTimeout: 0x43,
  ConnectionRefused: 0x44,
  TransferTimeout: 0x47,
  HostBlocked: 0x48,
  Throttled: 0x49,
  ClientError: 0x81,
  PasswordInvalid: 0xc0,
  SignatureInvalid: 0xc1,
  AuthRequired: 0xc2,
} as const;

/** A close reason byte: one of {@link CloseReason}'s values, or any other byte a peer sent. */
export type CloseReasonCode = number;

const names = new Map<number, string>(Object.entries(CloseReason).map(([k, v]) => [v, k]));

/** Human-readable name of a reason byte, e.g. `HostBlocked (0x48)`; unknown bytes print as hex. */
export function closeReasonName(reason: number): string {
  const hex = `0x${reason.toString(16).padStart(2, '0')}`;
  const name = names.get(reason);
  return name === undefined ? `unrecognised (${hex})` : `${name} (${hex})`;
}
