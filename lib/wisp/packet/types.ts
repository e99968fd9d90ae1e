/** Wire types of the Wisp protocol: one WebSocket binary message is one packet. */

/** Packet type bytes. */
export const PacketType = {
  Connect: 0x01,
  Data: 0x02,
  Continue: 0x03,
  Close: 0x04,
  Info: 0x05,
} as const;

/** Stream type bytes carried by CONNECT. */
export const StreamType = {
  Tcp: 0x01,
  Udp: 0x02,
} as const;

/** A stream type byte; only {@link StreamType} values are accepted by the codec. */
export type StreamTypeCode = (typeof StreamType)[keyof typeof StreamType];

/** `type u8 | stream_id u32 LE`. */
export const HEADER_SIZE = 5;

/** CONNECT: asks the server to open a TCP or UDP stream to `hostname:port`. */
export interface ConnectPacket {
  readonly type: typeof PacketType.Connect;
  readonly streamId: number;
  readonly streamType: StreamTypeCode;
  readonly port: number;
  readonly hostname: string;
}

/** DATA: payload bytes for a stream. `payload` is a view into the received message, not a copy. */
export interface DataPacket {
  readonly type: typeof PacketType.Data;
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** CONTINUE: the receiver's remaining buffer, in packets; replaces the sender's credit. */
export interface ContinuePacket {
  readonly type: typeof PacketType.Continue;
  readonly streamId: number;
  readonly bufferRemaining: number;
}

/** CLOSE: ends a stream (or, on stream 0, the connection) with a reason byte. */
export interface ClosePacket {
  readonly type: typeof PacketType.Close;
  readonly streamId: number;
  readonly reason: number;
}

/** One entry of an INFO packet's extension list; `metadata` is a view into the message. */
export interface ExtensionRecord {
  readonly id: number;
  readonly metadata: Uint8Array;
}

/** INFO (v2): protocol version and the sender's extensions with their metadata. */
export interface InfoPacket {
  readonly type: typeof PacketType.Info;
  readonly streamId: number;
  readonly major: number;
  readonly minor: number;
  readonly extensions: readonly ExtensionRecord[];
}

/**
 * A packet whose type byte belongs to an agreed extension (not one of the five core
 * types). Only decoded when the caller says the type is expected.
 */
export interface ExtensionPacket {
  readonly type: number;
  readonly streamId: number;
  readonly payload: Uint8Array;
  /** Discriminates from the core packets in switch statements. */
  readonly extension: true;
}

/** Any core Wisp packet. */
export type CorePacket = ConnectPacket | DataPacket | ContinuePacket | ClosePacket | InfoPacket;

/** Any packet the codec produces. */
export type Packet = CorePacket | ExtensionPacket;
