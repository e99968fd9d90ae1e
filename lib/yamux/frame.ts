/**
 * The yamux-family wire format: a 12-byte **big-endian** header
 * `version u8 · type u8 · flags u16 · stream id u32 · length u32`. Only Data carries a
 * payload (`length` bytes); for WindowUpdate, Ping and GoAway `length` is a value (window
 * delta, opaque nonce, error code). One codec for both variants, told apart by the version
 * byte: 0 is hashicorp/yamux, 1 is net-mux 1.0 (see ./variants.ts for how they differ).
 * Pure functions, no session state. Facts: shared yamux-notes.md §1, net-mux-notes.md A1–A2.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import type { FrameLayout } from '../transport/frame-splitter.js';

/** Bytes in every yamux header. */
export const YAMUX_HEADER_SIZE = 12;

/** The frame types. */
export const YamuxType = {
  /** Stream data: `length` payload bytes follow. Flags may ride on it. */
  Data: 0,
  /** `length` is a window delta for the stream. Go puts its SYN/ACK/FIN/RST here. */
  WindowUpdate: 1,
  /** Stream id 0; `length` is an opaque value the reply echoes. */
  Ping: 2,
  /** Stream id 0; `length` is an error code ({@link YamuxGoAway}). */
  GoAway: 3,
} as const;
/** A type byte yamux defines. */
export type YamuxType = (typeof YamuxType)[keyof typeof YamuxType];

/** The flag bits (they combine). */
export const YamuxFlag = {
  /** Opens a stream; on Ping, marks a request (Go answers only those). */
  Syn: 0x1,
  /** Acknowledges an open; on Ping, marks the reply. */
  Ack: 0x2,
  /** Half-close: the sender writes no more. */
  Fin: 0x4,
  /** Resets the stream; buffered data is dropped. */
  Rst: 0x8,
} as const;
/** Every flag bit either variant defines; net-mux treats any other bit as a protocol error. */
export const YAMUX_KNOWN_FLAGS = 0xf;

/** The version byte: 0 for hashicorp/yamux, 1 for net-mux 1.0. Each rejects the other's. */
export type YamuxVersion = 0 | 1;

/**
 * GoAway error codes. hashicorp/yamux knows 0–2 and treats any other as fatal; net-mux
 * knows 0–6 and keeps higher ones as "unknown".
 */
export const YamuxGoAway = {
  Normal: 0,
  ProtocolError: 1,
  InternalError: 2,
  /** net-mux only, from here on. */
  FlowControlError: 3,
  StreamLimit: 4,
  InvalidVersion: 5,
  Timeout: 6,
} as const;
/** A GoAway code either variant names. */
export type YamuxGoAway = (typeof YamuxGoAway)[keyof typeof YamuxGoAway];

/**
 * A decoded header, as the bytes say: {@link decodeHeader} does not validate, so `version`,
 * `type` and `flags` may hold anything until {@link checkHeader} (or {@link parseHeader})
 * passed it.
 */
export interface YamuxHeader {
  readonly version: number;
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  /** Data: payload bytes. WindowUpdate: delta. Ping: opaque. GoAway: code. */
  readonly length: number;
}

/**
 * Writes a header at `into[at … at + 12)`: for putting it in spare room in front of a Data
 * payload already in the same buffer, so the payload is never copied.
 * @throws {WispError} `InvalidArgument` for a value out of its field's range.
 */
export function encodeHeader(
  into: Uint8Array,
  at: number,
  version: YamuxVersion,
  type: YamuxType,
  flags: number,
  streamId: number,
  length: number,
): void {
  checkRange('flags', flags, 0xffff);
  checkRange('streamId', streamId, 0xffffffff);
  checkRange('length', length, 0xffffffff);
  into[at] = version;
  into[at + 1] = type;
  into[at + 2] = flags >>> 8;
  into[at + 3] = flags & 0xff;
  writeU32BE(into, at + 4, streamId);
  writeU32BE(into, at + 8, length);
}

/**
 * A Data frame in a new buffer: the header, then a copy of `payload` (none for a bare
 * SYN/ACK/FIN/RST, which is how net-mux wants them and Go accepts them).
 */
export function encodeData(version: YamuxVersion, flags: number, streamId: number, payload?: Uint8Array): Uint8Array {
  const length = payload?.length ?? 0;
  const frame = new Uint8Array(YAMUX_HEADER_SIZE + length);
  encodeHeader(frame, 0, version, YamuxType.Data, flags, streamId, length);
  if (payload) frame.set(payload, YAMUX_HEADER_SIZE);
  return frame;
}

/** A header-only frame (WindowUpdate, Ping, GoAway, or a Data frame with no payload). */
export function encodeControl(version: YamuxVersion, type: YamuxType, flags: number, streamId: number, value: number): Uint8Array {
  if (type === YamuxType.Data && value !== 0) {
    throw new WispError('InvalidArgument', 'a yamux Data frame carries its length as payload: use encodeData');
  }
  const frame = new Uint8Array(YAMUX_HEADER_SIZE);
  encodeHeader(frame, 0, version, type, flags, streamId, value);
  return frame;
}

/** WindowUpdate granting `delta` more bytes on `streamId` (flags for Go's SYN/ACK/FIN/RST style). */
export function encodeWindowUpdate(version: YamuxVersion, flags: number, streamId: number, delta: number): Uint8Array {
  return encodeControl(version, YamuxType.WindowUpdate, flags, streamId, delta);
}

/** Ping on stream 0: a request (flags per variant: Go needs SYN) or a reply (ACK, same opaque). */
export function encodePing(version: YamuxVersion, flags: number, opaque: number): Uint8Array {
  return encodeControl(version, YamuxType.Ping, flags, 0, opaque);
}

/** GoAway on stream 0 with `code`. */
export function encodeGoAway(version: YamuxVersion, code: number): Uint8Array {
  return encodeControl(version, YamuxType.GoAway, 0, 0, code);
}

/**
 * Reads the header at `bytes[at … at + 12)` without judging it (see {@link checkHeader}).
 * @throws {WispError} `PacketTooShort` when fewer than 12 bytes are there; nothing else.
 */
export function decodeHeader(bytes: Uint8Array, at = 0): YamuxHeader {
  if (bytes.length - at < YAMUX_HEADER_SIZE) throw tooShort(bytes, at);
  return {
    version: bytes[at],
    type: bytes[at + 1],
    flags: (bytes[at + 2] << 8) | bytes[at + 3],
    streamId: readU32BE(bytes, at + 4),
    length: readU32BE(bytes, at + 8),
  };
}

/**
 * Judges a header for a session of `version`; returns the error that ends the session, or
 * undefined. Both variants end the session on these (notes §1, A1):
 * - `InvalidVersion`: the version byte is not the session's;
 * - `InvalidFrame`: an unknown type (≥ 4).
 *
 * net-mux (version 1) is stricter, and so is this for it: `InvalidFrame` for flag bits
 * outside {@link YAMUX_KNOWN_FLAGS} and for Data on stream 0. Go (version 0) ignores
 * unknown bits and checks no ids, so neither is judged for version 0. Payload size
 * limits are the layout's `maxBody`; stream states and windows are the session's.
 */
export function checkHeader(header: YamuxHeader, version: YamuxVersion): WispError | undefined {
  if (header.version !== version) {
    return new WispError('InvalidVersion', `yamux frame of version ${header.version} in a version-${version} session`);
  }
  if (header.type > YamuxType.GoAway) {
    return new WispError('InvalidFrame', `unknown yamux frame type ${header.type}`);
  }
  if (version === 1) {
    if ((header.flags & ~YAMUX_KNOWN_FLAGS) !== 0) {
      return new WispError('InvalidFrame', `unknown yamux flag bits 0x${(header.flags & ~YAMUX_KNOWN_FLAGS).toString(16)}`);
    }
    if (header.type === YamuxType.Data && header.streamId === 0) {
      return new WispError('InvalidFrame', 'yamux Data on stream 0');
    }
  }
  return undefined;
}

/**
 * {@link decodeHeader} then {@link checkHeader}: the header, or the typed error (returned,
 * not thrown, so a session can end cleanly with it).
 */
export function parseHeader(bytes: Uint8Array, at: number, version: YamuxVersion): YamuxHeader | WispError {
  if (bytes.length - at < YAMUX_HEADER_SIZE) return tooShort(bytes, at);
  const header = decodeHeader(bytes, at);
  return checkHeader(header, version) ?? header;
}

/** Type names for messages and logs (`typeName(1)` is `'WindowUpdate'`). */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

const TYPE_NAMES: readonly string[] = ['Data', 'WindowUpdate', 'Ping', 'GoAway'];

/**
 * yamux framing for {@link FrameSplitter}: a Data frame's body is `length` bytes; every
 * other type (unknown ones too, which the session then rejects) has no body, since its
 * `length` is a value. `maxBody` bounds a Data payload: net-mux refuses more than its
 * max_frame_size (64 KiB by default), while Go sends up to the stream's whole window
 * (256 KiB, more if the receiver grew it), so for version 0 it must be at least the
 * receive window this side grants.
 */
export function yamuxLayout(maxBody: number): FrameLayout {
  return {
    headerSize: YAMUX_HEADER_SIZE,
    bodyLength: (bytes, at) => (bytes[at + 1] === YamuxType.Data ? readU32BE(bytes, at + 8) : 0),
    maxBody,
  };
}

function tooShort(bytes: Uint8Array, at: number): WispError {
  return new WispError('PacketTooShort', `a yamux header needs 12 bytes, ${Math.max(0, bytes.length - at)} there`);
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WispError('InvalidArgument', `yamux ${name} ${value} is not an integer in 0…${max}`);
  }
}

function writeU32BE(into: Uint8Array, at: number, value: number): void {
  into[at] = value >>> 24;
  into[at + 1] = (value >>> 16) & 0xff;
  into[at + 2] = (value >>> 8) & 0xff;
  into[at + 3] = value & 0xff;
}

function readU32BE(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}
