/**
 * The smux wire format (xtaci/smux v1 and v2): an 8-byte **little-endian** header
 * `ver u8 · cmd u8 · length u16 · sid u32` (length before the id), then `length` payload
 * bytes. Pure functions, no session state: the id rules, windows and keepalive belong to
 * the session. Facts: docs in shared smux-notes.md §1, §2, §10; Go's frame.go agrees.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import type { FrameLayout } from '../transport/frame-splitter.js';

/** Bytes in every smux header. */
export const SMUX_HEADER_SIZE = 8;
/** The largest payload the 16-bit length allows; every Go version accepts it, whatever its own MaxFrameSize. */
export const SMUX_MAX_PAYLOAD = 0xffff;
/** Bytes in an UPD payload: `consumed u32 · window u32`. */
export const SMUX_UPD_SIZE = 8;

/** The commands. UPD exists in v2 only. */
export const SmuxCmd = {
  /** Open `sid`. No payload; no ACK comes back, data may follow at once. */
  Syn: 0,
  /** The sender sends no more data on `sid`. No payload. */
  Fin: 1,
  /** Data for `sid`. */
  Psh: 2,
  /** Keepalive filler (Go sends it with sid 0). No payload, no reply. */
  Nop: 3,
  /** v2 window update: absolute `consumed` and the receiver's (constant) window. */
  Upd: 4,
} as const;
/** A command byte smux defines. */
export type SmuxCmd = (typeof SmuxCmd)[keyof typeof SmuxCmd];

/** The two protocol versions. There is no negotiation: both ends must be configured alike. */
export type SmuxVersion = 1 | 2;

/**
 * A decoded header, as the bytes say: {@link decodeHeader} does not validate, so `version`
 * and `cmd` may be any byte until {@link checkHeader} (or {@link parseHeader}) passed it.
 */
export interface SmuxHeader {
  readonly version: number;
  readonly cmd: number;
  /** Payload bytes after the header (0…65535). */
  readonly length: number;
  readonly streamId: number;
}

/** An UPD payload. Both are absolute, mod 2^32, not deltas. */
export interface SmuxUpdate {
  /** Bytes the receiving application has read from the stream since it opened. */
  readonly consumed: number;
  /** The receiver's window (its MaxStreamBuffer, a constant), not its free space. */
  readonly window: number;
}

/**
 * Writes a header at `into[at … at + 8)`. Used to put the header in spare room in front of
 * a payload that is already in the same buffer, so the payload is never copied.
 * @throws {WispError} `InvalidArgument` for a value out of its field's range.
 */
export function encodeHeader(into: Uint8Array, at: number, version: SmuxVersion, cmd: SmuxCmd, length: number, streamId: number): void {
  checkRange('length', length, SMUX_MAX_PAYLOAD);
  checkRange('streamId', streamId, 0xffffffff);
  into[at] = version;
  into[at + 1] = cmd;
  into[at + 2] = length & 0xff;
  into[at + 3] = length >>> 8;
  writeU32LE(into, at + 4, streamId);
}

/**
 * One frame in a new buffer: the header, then a copy of `payload` (SYN, FIN and NOP take
 * none). See {@link encodeHeader} to avoid the copy.
 * @throws {WispError} `InvalidArgument` for a payload over 65535 bytes or an id out of range.
 */
export function encodeFrame(version: SmuxVersion, cmd: SmuxCmd, streamId: number, payload?: Uint8Array): Uint8Array {
  const length = payload?.length ?? 0;
  const frame = new Uint8Array(SMUX_HEADER_SIZE + length);
  encodeHeader(frame, 0, version, cmd, length, streamId);
  if (payload) frame.set(payload, SMUX_HEADER_SIZE);
  return frame;
}

/** A whole v2 UPD frame (16 bytes). `consumed` and `window` are taken mod 2^32. */
export function encodeUpdFrame(streamId: number, consumed: number, window: number): Uint8Array {
  const frame = new Uint8Array(SMUX_HEADER_SIZE + SMUX_UPD_SIZE);
  encodeHeader(frame, 0, 2, SmuxCmd.Upd, SMUX_UPD_SIZE, streamId);
  writeUpdate(frame, SMUX_HEADER_SIZE, consumed, window);
  return frame;
}

/** Writes an UPD payload at `into[at … at + 8)`, little-endian like everything in smux. */
export function writeUpdate(into: Uint8Array, at: number, consumed: number, window: number): void {
  // Counters wrap mod 2^32 on the wire (Go's are uint32), so callers may pass a running total.
  writeU32LE(into, at, consumed >>> 0);
  writeU32LE(into, at + 4, window >>> 0);
}

/**
 * Reads an UPD payload from `bytes[at … at + 8)`.
 * @throws {WispError} `PacketTooShort` when fewer than 8 bytes are there.
 */
export function decodeUpdate(bytes: Uint8Array, at = 0): SmuxUpdate {
  if (bytes.length - at < SMUX_UPD_SIZE) throw tooShort('an UPD payload', bytes, at);
  return { consumed: readU32LE(bytes, at), window: readU32LE(bytes, at + 4) };
}

/**
 * Reads the header at `bytes[at … at + 8)` without judging it (see {@link checkHeader}).
 * @throws {WispError} `PacketTooShort` when fewer than 8 bytes are there; nothing else.
 */
export function decodeHeader(bytes: Uint8Array, at = 0): SmuxHeader {
  if (bytes.length - at < SMUX_HEADER_SIZE) throw tooShort('an smux header', bytes, at);
  return {
    version: bytes[at],
    cmd: bytes[at + 1],
    length: bytes[at + 2] | (bytes[at + 3] << 8),
    streamId: readU32LE(bytes, at + 4),
  };
}

/**
 * Judges a header for a session of `version`; returns the error that ends the session, or
 * undefined. What Go does with each case is in the notes (§10); where Go 1.5.16 loses
 * step and newer Go rejects, this rejects too, since nothing sane can follow:
 * - `InvalidVersion`: `version` is not the session's (Go: ErrInvalidProtocol; no negotiation);
 * - `InvalidFrame`: an unknown command (≥ 5); UPD in a v1 session (Go ≥ 1.5.52 rejects it,
 *   and no Go version sends it); UPD whose length is not 8; SYN, FIN or NOP with a payload.
 *
 * Stream ids are not judged (Go checks neither parity nor zero), nor is PSH's length:
 * any 0…65535 is valid, and length 0 is a frame to skip.
 */
export function checkHeader(header: SmuxHeader, version: SmuxVersion): WispError | undefined {
  if (header.version !== version) {
    return new WispError('InvalidVersion', `smux frame of version ${header.version} in a v${version} session`);
  }
  switch (header.cmd) {
    case SmuxCmd.Psh:
      return undefined;
    case SmuxCmd.Syn:
    case SmuxCmd.Fin:
    case SmuxCmd.Nop:
      return header.length === 0 ? undefined : new WispError('InvalidFrame', `smux ${CMD_NAMES[header.cmd]} with a ${header.length}-byte payload`);
    case SmuxCmd.Upd:
      if (version === 1) return new WispError('InvalidFrame', 'smux UPD in a v1 session');
      return header.length === SMUX_UPD_SIZE ? undefined : new WispError('InvalidFrame', `smux UPD with length ${header.length}, not 8`);
    default:
      return new WispError('InvalidFrame', `unknown smux command ${header.cmd}`);
  }
}

/**
 * {@link decodeHeader} then {@link checkHeader}: the header, or the typed error (returned,
 * not thrown, so a session can end cleanly with it).
 */
export function parseHeader(bytes: Uint8Array, at: number, version: SmuxVersion): SmuxHeader | WispError {
  if (bytes.length - at < SMUX_HEADER_SIZE) return tooShort('an smux header', bytes, at);
  const header = decodeHeader(bytes, at);
  return checkHeader(header, version) ?? header;
}

/** Command names for messages and logs (`cmdName(2)` is `'PSH'`). */
export function cmdName(cmd: number): string {
  return CMD_NAMES[cmd] ?? `cmd ${cmd}`;
}

const CMD_NAMES: Readonly<Record<number, string>> = { 0: 'SYN', 1: 'FIN', 2: 'PSH', 3: 'NOP', 4: 'UPD' };

/**
 * smux framing for {@link FrameSplitter}: the body is the header's `length`, whatever the
 * command, so the stream stays in step even across a frame the session will reject.
 * `maxBody` should stay 65535 (the default) to interoperate: Go sends up to 65535 bytes
 * whatever this side's own frame size is (notes §9).
 */
export function smuxLayout(maxBody: number = SMUX_MAX_PAYLOAD): FrameLayout {
  return { headerSize: SMUX_HEADER_SIZE, bodyLength: (bytes, at) => bytes[at + 2] | (bytes[at + 3] << 8), maxBody };
}

function tooShort(what: string, bytes: Uint8Array, at: number): WispError {
  return new WispError('PacketTooShort', `${what} needs 8 bytes, ${Math.max(0, bytes.length - at)} there`);
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WispError('InvalidArgument', `smux ${name} ${value} is not an integer in 0…${max}`);
  }
}

function writeU32LE(into: Uint8Array, at: number, value: number): void {
  into[at] = value & 0xff;
  into[at + 1] = (value >>> 8) & 0xff;
  into[at + 2] = (value >>> 16) & 0xff;
  into[at + 3] = value >>> 24;
}

function readU32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}
