import { WispError } from '../../errors.js';
import { HEADER_SIZE, PacketType, type ExtensionRecord, type Packet } from './types.js';

const utf8 = new TextEncoder();

/** Writes the 5-byte header at the start of `buf`. */
export function writeHeader(buf: Uint8Array, type: number, streamId: number): void {
  buf[0] = type;
  writeU32(buf, 1, streamId);
}

/** Little-endian u32. */
export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

/**
 * DATA packet for `payload`: one allocation and one copy of the payload (the WebSocket
 * message must be contiguous). See {@link dataPacketInPlace} to avoid the copy.
 */
export function encodeData(streamId: number, payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(buf, PacketType.Data, streamId);
  buf.set(payload, HEADER_SIZE);
  return buf;
}

/**
 * The 5-byte header of a DATA packet alone, for transports that send a packet in two parts
 * (`Transport.sendSplit`): the payload goes out as it is, without being copied behind it.
 */
export function encodeDataHeader(streamId: number): Uint8Array {
  const header = new Uint8Array(HEADER_SIZE);
  writeHeader(header, PacketType.Data, streamId);
  return header;
}

/**
 * Zero-copy DATA packet: when `payload` was read into a buffer that keeps at least five
 * spare bytes in front of it (same ArrayBuffer), the header is written there and a view
 * over header + payload is returned. Returns undefined when there is no such headroom.
 */
export function dataPacketInPlace(streamId: number, payload: Uint8Array): Uint8Array | undefined {
  if (payload.byteOffset < HEADER_SIZE) return undefined;
  const packet = new Uint8Array(payload.buffer, payload.byteOffset - HEADER_SIZE, payload.length + HEADER_SIZE);
  writeHeader(packet, PacketType.Data, streamId);
  return packet;
}

/** CONTINUE packet. */
export function encodeContinue(streamId: number, bufferRemaining: number): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE + 4);
  writeHeader(buf, PacketType.Continue, streamId);
  writeU32(buf, HEADER_SIZE, bufferRemaining);
  return buf;
}

/** CLOSE packet. */
export function encodeClose(streamId: number, reason: number): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE + 1);
  writeHeader(buf, PacketType.Close, streamId);
  buf[HEADER_SIZE] = reason & 0xff;
  return buf;
}

/** CONNECT packet. */
export function encodeConnect(streamId: number, streamType: number, port: number, hostname: string): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new WispError('InvalidArgument', `port ${port} is not a 16-bit unsigned integer`);
  }
  const host = utf8.encode(hostname);
  const buf = new Uint8Array(HEADER_SIZE + 3 + host.length);
  writeHeader(buf, PacketType.Connect, streamId);
  buf[HEADER_SIZE] = streamType;
  buf[HEADER_SIZE + 1] = port & 0xff;
  buf[HEADER_SIZE + 2] = port >>> 8;
  buf.set(host, HEADER_SIZE + 3);
  return buf;
}

/** INFO packet with its extension list. */
export function encodeInfo(streamId: number, major: number, minor: number, extensions: readonly ExtensionRecord[]): Uint8Array {
  let size = HEADER_SIZE + 2;
  for (const ext of extensions) size += 5 + ext.metadata.length;
  const buf = new Uint8Array(size);
  writeHeader(buf, PacketType.Info, streamId);
  buf[HEADER_SIZE] = major;
  buf[HEADER_SIZE + 1] = minor;
  let at = HEADER_SIZE + 2;
  for (const ext of extensions) {
    buf[at] = ext.id;
    writeU32(buf, at + 1, ext.metadata.length);
    buf.set(ext.metadata, at + 5);
    at += 5 + ext.metadata.length;
  }
  return buf;
}

/** Encodes any packet the codec can decode (the inverse of `decodePacket`). */
export function encodePacket(packet: Packet): Uint8Array {
  if ('extension' in packet) {
    const buf = new Uint8Array(HEADER_SIZE + packet.payload.length);
    writeHeader(buf, packet.type, packet.streamId);
    buf.set(packet.payload, HEADER_SIZE);
    return buf;
  }
  switch (packet.type) {
    case PacketType.Connect:
      return encodeConnect(packet.streamId, packet.streamType, packet.port, packet.hostname);
    case PacketType.Data:
      return encodeData(packet.streamId, packet.payload);
    case PacketType.Continue:
      return encodeContinue(packet.streamId, packet.bufferRemaining);
    case PacketType.Close:
      return encodeClose(packet.streamId, packet.reason);
    case PacketType.Info:
      return encodeInfo(packet.streamId, packet.major, packet.minor, packet.extensions);
  }
}
