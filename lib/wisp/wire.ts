import { WispError } from '../errors.js';
import type { CoreReasons, ProtocolFeatures, Role, StreamIdRule, Wire, WireInput } from '../core/protocol.js';
import type { StreamKind, StreamRecord } from '../core/stream-record.js';
import type { TransportMessage } from '../transport/transport.js';
import { CloseReason } from './packet/close-reason.js';
import { dataPacketInPlace, encodeClose, encodeConnect, encodeContinue, encodeData, encodeDataHeader } from './packet/encode.js';
import { HEADER_SIZE, PacketType, StreamType, type Packet } from './packet/types.js';
import { ExtensionId } from './extensions/ids.js';
import { ReceiveCredit } from './packet-credit.js';
import { SendCredit } from './send-credit.js';

/**
 * DATA payloads from this size on go out as two parts (header + payload) where the transport
 * can send them as one message: copying them behind the header would cost more than the
 * extra frame.
 */
const SPLIT_FROM = 16 * 1024;

/** What the Wisp handshake settled that the wire needs. */
export interface WispWireSettings {
  readonly role: Role;
  /** Server: the per-stream buffer we grant. Client: the initial credit per TCP stream. */
  readonly bufferSize: number;
  /** The stream-open confirmation extension is in force. */
  readonly confirmation: boolean;
  /** UDP streams are allowed (v1, or v2 with the UDP extension agreed). */
  readonly udp: boolean;
}

const REASONS: CoreReasons = {
  normal: CloseReason.Voluntary,
  limit: CloseReason.Throttled,
  overrun: CloseReason.Throttled,
  throttled: CloseReason.Throttled,
  error: CloseReason.NetworkError,
};

/** What Wisp can do, by role and by whether stream-open confirmation is in force (shared: one per connection would cost each its object). */
const FEATURES: readonly (readonly ProtocolFeatures[])[] = [false, true, false].map((_, i) =>
  [false, true].map((openAck) => ({ halfClose: false, localOpens: i === 0, peerOpens: i !== 0, keepalive: false, openAck })),
);

/** Wisp ids: sequential from 1, reused once free, stream 0 being the connection. */
const IDS: StreamIdRule = { first: 1, step: 1, max: 0xffffffff };

/**
 * Wisp on the core: CONNECT / DATA / CONTINUE / CLOSE. Only the client opens streams; the
 * server grants packet credit to client TCP streams (CONTINUE replaces it); there is no
 * half-close; CLOSE on stream 0 ends the connection. Extension packets never get here (the
 * extension-packet operator routes them).
 */
export class WispWire implements Wire<Packet> {
  readonly features: ProtocolFeatures;
  readonly ids = IDS;
  readonly reasons = REASONS;
  readonly headroom = HEADER_SIZE;

  constructor(
    private readonly core: WireInput,
    private readonly settings: WispWireSettings,
  ) {
    this.features = FEATURES[settings.role === 'client' ? 0 : 2][settings.confirmation ? 1 : 0];
  }

  receive(packet: Packet): void {
    if ('extension' in packet) return;
    switch (packet.type) {
      case PacketType.Data: {
        const record = this.core.stream(packet.streamId);
        if (record) this.core.data(record, packet.payload); // none: normal after a close crossed in flight
        return;
      }
      case PacketType.Continue:
        return this.onContinue(packet.streamId, packet.bufferRemaining);
      case PacketType.Close: {
        if (packet.streamId === 0) return this.core.peerClosed(packet.reason);
        const record = this.core.stream(packet.streamId);
        if (record) this.core.remoteClose(record, packet.reason);
        return;
      }
      case PacketType.Connect:
        if (this.settings.role !== 'server') return this.unexpected('CONNECT sent to a client');
        return this.onConnect(packet.streamId, packet.streamType === StreamType.Tcp ? 'tcp' : 'udp', packet.hostname, packet.port);
      case PacketType.Info:
        return this.unexpected('INFO after the handshake');
    }
  }

  /** A CONNECT we could not read is refused, so the client learns of it. */
  malformed(_error: WispError, bytes: Uint8Array): void {
    if (this.settings.role !== 'server' || bytes.length < 5 || bytes[0] !== PacketType.Connect) return;
    const id = (bytes[1] | (bytes[2] << 8) | (bytes[3] << 16)) + bytes[4] * 0x1000000;
    if (id !== 0 && !this.core.stream(id)) this.core.emit(encodeClose(id, CloseReason.InvalidInfo));
  }

  open(id: number, kind: StreamKind, host: string, port: number): Uint8Array {
    if (kind === 'udp' && !this.settings.udp) {
      throw new WispError('ExtensionsNotSupported', 'UDP streams need the UDP extension, which the server did not agree to', { extensionIds: [ExtensionId.Udp] });
    }
    return encodeConnect(id, kind === 'tcp' ? StreamType.Tcp : StreamType.Udp, port, host);
  }

  windows(record: StreamRecord, opener: 'local' | 'remote'): void {
    if (record.kind !== 'tcp') return; // datagrams have no credit
    if (opener === 'local') record.sendWindow = new SendCredit(this.settings.bufferSize);
    else record.receiveWindow = new ReceiveCredit(this.settings.bufferSize);
  }

  data(id: number, payload: Uint8Array, inPlace: boolean): TransportMessage {
    const packet = inPlace ? dataPacketInPlace(id, payload) : undefined;
    if (packet) return packet;
    if (payload.length >= SPLIT_FROM) return { head: encodeDataHeader(id), body: payload };
    return encodeData(id, payload);
  }

  /** Wisp has no half-close; the core closes instead (see `features.halfClose`). */
  end(id: number): Uint8Array {
    return encodeClose(id, CloseReason.Voluntary);
  }

  close(id: number, reason: number): Uint8Array {
    return encodeClose(id, reason);
  }

  /** Wisp has no GoAway: a draining server refuses each new CONNECT with the reason instead. */
  goAway(): undefined {
    return undefined;
  }

  closeConnection(reason: number): Uint8Array {
    return encodeClose(0, reason);
  }

  windowUpdate(record: StreamRecord, value: number): void {
    if (this.settings.confirmation && !record.acknowledged) {
      // The client reads a stream's first CONTINUE as the open confirmation, which never
      // raises its credit: a grant going first would leave it at zero credit for good. A
      // grant is due only once the client has spent its credit, so confirm with 0 first.
      record.acknowledged = true;
      this.core.emit(encodeContinue(record.id, 0));
    }
    this.core.emit(encodeContinue(record.id, value));
  }

  accept(record: StreamRecord): void {
    if (this.settings.role !== 'server') return;
    record.acknowledged = true;
    if (!this.settings.confirmation) return;
    const window = record.receiveWindow;
    const value = window instanceof ReceiveCredit ? window.confirmation() : this.settings.bufferSize;
    this.core.emit(encodeContinue(record.id, value));
  }

  ping(): Uint8Array {
    throw new WispError('Unsupported', 'Wisp has no ping');
  }

  private onContinue(id: number, value: number): void {
    if (this.settings.role === 'server') return this.unexpected('CONTINUE sent to a server');
    const record = this.core.stream(id);
    if (!record) return;
    const credit = record.sendWindow instanceof SendCredit ? record.sendWindow : undefined;
    if (this.settings.confirmation && !record.acknowledged) {
      credit?.confirm(value);
      this.core.acknowledged(record);
    } else {
      credit?.set(value);
    }
    this.core.credited(record);
  }

  private onConnect(id: number, kind: StreamKind, host: string, port: number): void {
    if (id === 0) return this.unexpected('CONNECT on stream 0');
    const existing = this.core.stream(id);
    if (existing) {
      // A confused or hostile client reusing a live id: end that stream, keep the others.
      this.unexpected(`CONNECT reuses live stream id ${id}`);
      this.core.abort(existing, CloseReason.InvalidInfo);
      return;
    }
    if (kind === 'udp' && !this.settings.udp) {
      this.unexpected(`UDP stream ${id} without the UDP extension`);
      this.core.emit(encodeClose(id, CloseReason.InvalidInfo));
      return;
    }
    this.core.opened(id, kind, host, port);
  }

  private unexpected(what: string): void {
    this.core.protocolError(new WispError('UnexpectedPacket', what));
  }
}
