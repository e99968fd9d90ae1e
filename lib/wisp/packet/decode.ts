import { WispError } from '../../errors.js';
import { joinBytes } from '../../join-bytes.js';
import {
  HEADER_SIZE,
  PacketType,
  StreamType,
  type ExtensionRecord,
  type Packet,
} from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const EXTENSION_RECORD_HEADER = 5; // id u8 · length u32

/**
 * Decodes one Wisp packet. Payloads (DATA bytes, extension metadata) are views into
 * `bytes`, never copies, so `bytes` must not be reused while they are alive.
 *
 * @param extensionTypes packet type bytes that agreed extensions define; any other
 *   non-core type is rejected with `InvalidPacketType`.
 * @throws {WispError} `PacketTooShort`, `InvalidPacketType`, `InvalidStreamType`,
 *   `InvalidUtf8` or `TrailingBytes` on malformed input; nothing else.
 */
export function decodePacket(bytes: Uint8Array, extensionTypes?: ReadonlySet<number>): Packet {
  if (bytes.length < HEADER_SIZE) {
    throw new WispError('PacketTooShort', `packet of ${bytes.length} bytes is shorter than the 5-byte header`);
  }
  const type = bytes[0];
  const streamId = readU32(bytes, 1);
  const size = bytes.length - HEADER_SIZE;
  switch (type) {
    case PacketType.Data:
      return { type, streamId, payload: bytes.subarray(HEADER_SIZE) };
    case PacketType.Continue:
      exactSize(size, 4, 'CONTINUE');
      return { type, streamId, bufferRemaining: readU32(bytes, HEADER_SIZE) };
    case PacketType.Close:
      exactSize(size, 1, 'CLOSE');
      return { type, streamId, reason: bytes[HEADER_SIZE] };
    case PacketType.Connect:
      return decodeConnect(bytes, streamId, size);
    case PacketType.Info:
      return decodeInfo(bytes, streamId, size);
    default:
      if (extensionTypes?.has(type)) {
        return { type, streamId, payload: bytes.subarray(HEADER_SIZE), extension: true };
      }
      throw new WispError('InvalidPacketType', `unknown packet type 0x${type.toString(16)}`);
  }
}

/**
 * Decodes a packet that arrived in two parts: `head`, the first frame of its WebSocket message,
 * and `body`, the rest. wisp-mux sends large DATA this way (the 5-byte header as one frame, the
 * payload as a continuation frame), and so does wisp-rx over `ws`. When `head` is exactly a
 * DATA header, `body` becomes the payload with no copy; any other split is joined (one copy)
 * and decoded as {@link decodePacket} would. Throws what {@link decodePacket} throws.
 */
export function decodeSplitPacket(head: Uint8Array, body: Uint8Array, extensionTypes?: ReadonlySet<number>): Packet {
  if (head.length === HEADER_SIZE && head[0] === PacketType.Data) {
    return { type: PacketType.Data, streamId: readU32(head, 1), payload: body };
  }
  return decodePacket(joinBytes(head, body), extensionTypes);
}

function decodeConnect(bytes: Uint8Array, streamId: number, size: number): Packet {
  if (size < 3) throw new WispError('PacketTooShort', `CONNECT payload of ${size} bytes; at least 3 needed`);
  const streamType = bytes[HEADER_SIZE];
  if (streamType !== StreamType.Tcp && streamType !== StreamType.Udp) {
    throw new WispError('InvalidStreamType', `unknown stream type 0x${streamType.toString(16)}`);
  }
  const port = bytes[HEADER_SIZE + 1] | (bytes[HEADER_SIZE + 2] << 8);
  return {
    type: PacketType.Connect,
    streamId,
    streamType,
    port,
    hostname: decodeUtf8(bytes.subarray(HEADER_SIZE + 3), 'CONNECT hostname'),
  };
}

function decodeInfo(bytes: Uint8Array, streamId: number, size: number): Packet {
  if (size < 2) throw new WispError('PacketTooShort', `INFO payload of ${size} bytes; at least 2 needed`);
  const major = bytes[HEADER_SIZE];
  const minor = bytes[HEADER_SIZE + 1];
  const extensions: ExtensionRecord[] = [];
  let at = HEADER_SIZE + 2;
  while (at < bytes.length) {
    if (bytes.length - at < EXTENSION_RECORD_HEADER) {
      throw new WispError('TrailingBytes', `INFO has ${bytes.length - at} stray bytes after its extensions`);
    }
    const id = bytes[at];
    const length = readU32(bytes, at + 1);
    const start = at + EXTENSION_RECORD_HEADER;
    if (length > bytes.length - start) {
      throw new WispError('PacketTooShort', `INFO extension 0x${id.toString(16)} claims ${length} bytes, ${bytes.length - start} remain`);
    }
    extensions.push({ id, metadata: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return { type: PacketType.Info, streamId, major, minor, extensions };
}

function exactSize(size: number, expected: number, name: string): void {
  if (size < expected) throw new WispError('PacketTooShort', `${name} payload of ${size} bytes; ${expected} needed`);
  if (size > expected) throw new WispError('TrailingBytes', `${name} payload of ${size} bytes; ${expected} expected`);
}

/** Little-endian u32 at `at` (caller has checked the bounds). */
export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

/** Strict UTF-8 decode; invalid sequences raise `InvalidUtf8`. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new WispError('InvalidUtf8', `${what} is not valid UTF-8`, { cause });
  }
}
