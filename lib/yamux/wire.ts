/**
 * yamux and net-mux on the core: the {@link Wire} of one session. The actor decides (stream
 * table, windows' bookkeeping, half-close, drain); this encodes and decodes, with each
 * version's rules from the shared yamux-notes.md and net-mux-notes.md:
 *
 * - lifecycle flags go out on WindowUpdate in version 0 (as Go sends them, with the extra
 *   window on SYN/ACK) and on empty Data frames in version 1; version 0 honours them on both
 *   frame types, version 1 on Data only;
 * - version 1 opens wait for the ACK (gated send window, open timeout); version 0 keeps at
 *   most the backlog un-ACKed;
 * - data after the peer's FIN: dropped and reported (0) / RST and session cut (1); a second
 *   FIN: session cut (0) / ignored (1); Data for an unknown stream: dropped (0) / RST (1);
 *   a SYN with our own id parity: accepted (0) / session cut (1);
 * - windows enforced both ways in both versions: an overrun cuts the session with GoAway
 *   (ProtocolError in 0, FlowControlError in 1);
 * - a received RST drops what the reader has not taken, then errors `data$` (reason Reset);
 * - every Ping without ACK is answered; GoAway(0) stops our opens only (0), any GoAway
 *   tears the session down and is answered with the same code (1).
 * @packageDocumentation
 */
import { asyncScheduler } from '../rx.js';
import { WispError, type WispErrorCode } from '../errors.js';
import type { ProtocolFeatures, Role, StreamIdRule, Wire, WireInput } from '../core/protocol.js';
import type { StreamKind, StreamRecord } from '../core/stream-record.js';
import type { TransportMessage } from '../transport/transport.js';
import {
  YAMUX_HEADER_SIZE,
  YamuxFlag,
  YamuxGoAway,
  YamuxType,
  encodeData,
  encodeGoAway,
  encodeHeader,
  encodePing,
  encodeWindowUpdate,
  type YamuxHeader,
} from './frame.js';
import { yamuxVariant, type YamuxVariant } from './variants.js';
import { YAMUX_INITIAL_WINDOW, YAMUX_REASONS, YamuxReason, type ResolvedYamuxConfig } from './config.js';
import { YamuxReceiveWindow, YamuxSendWindow } from './windows.js';
import { PingTracker } from './pings.js';
import { OpenTracker } from './opens.js';

/** One decoded frame: its header and, for Data, its payload (a view, never copied). */
export interface YamuxFrame {
  readonly header: YamuxHeader;
  readonly payload: Uint8Array;
}

/** Data payloads from this size on go out as header + payload parts instead of being copied behind the header. */
const SPLIT_FROM = 16 * 1024;
const LIFECYCLE = YamuxFlag.Syn | YamuxFlag.Ack | YamuxFlag.Fin | YamuxFlag.Rst;

export class YamuxWire implements Wire<YamuxFrame> {
  readonly features: ProtocolFeatures;
  readonly ids: StreamIdRule;
  readonly reasons = YAMUX_REASONS;
  readonly variant: YamuxVariant;
  readonly pings: PingTracker;
  readonly opens: OpenTracker;
  /** The GoAway code this side sent, once it did. */
  goAwaySent: number | undefined;
  /** Version 0: the peer sent GoAway(0): no more opens from this side. */
  peerGoneAway = false;
  /** Peer-opened streams the application has not accepted yet. */
  private readonly unaccepted = new Set<StreamRecord>();
  private readonly version: 0 | 1;
  /** Extra window granted on SYN/ACK (version 0) beyond the initial 256 KiB. */
  private readonly extra: number;

  constructor(
    private readonly core: WireInput,
    private readonly role: Role,
    private readonly config: ResolvedYamuxConfig,
  ) {
    this.version = config.version;
    this.variant = yamuxVariant(config.version);
    this.features = { halfClose: true, localOpens: true, peerOpens: true, keepalive: true, openAck: this.version === 1 };
    this.ids = role === 'client' ? { first: 1, step: 2, max: 0xfffffffd } : { first: 2, step: 2, max: 0xfffffffe };
    this.extra = this.version === 0 ? config.window - YAMUX_INITIAL_WINDOW : 0;
    const scheduler = config.scheduler ?? asyncScheduler;
    this.pings = new PingTracker(scheduler, config.pingTimeoutMs);
    const timeout = this.version === 1 ? config.openTimeoutMs : undefined;
    this.opens = new OpenTracker(scheduler, config.acceptBacklog, timeout, (record) => this.core.abort(record, YamuxReason.OpenTimeout));
  }

  receive(frame: YamuxFrame): void {
    const { header } = frame;
    switch (header.type) {
      case YamuxType.Data:
      case YamuxType.WindowUpdate:
        return this.onStreamFrame(header, frame.payload);
      case YamuxType.Ping:
        if (header.flags & YamuxFlag.Ack) return this.pings.answered(header.length);
        return this.core.emit(encodePing(this.version, YamuxFlag.Ack, header.length));
      case YamuxType.GoAway:
        return this.onGoAway(header.length);
    }
  }

  /** A frame the codec rejected (bad version, type, flag bits, size): the session ends with GoAway(ProtocolError). */
  malformed(): void {
    this.core.shutdown(YamuxReason.ProtocolError);
  }

  open(id: number, kind: StreamKind): Uint8Array {
    if (kind !== 'tcp') throw new WispError('InvalidArgument', 'yamux streams are byte streams (tcp)');
    if (this.peerGoneAway) throw new WispError('MuxClosed', 'the peer sent GoAway: no new streams');
    return this.lifecycle(YamuxFlag.Syn, id, this.extra);
  }

  windows(record: StreamRecord, opener: 'local' | 'remote'): void {
    const gated = this.version === 1 && opener === 'local';
    record.sendWindow = new YamuxSendWindow(this.version === 1 ? this.config.window : YAMUX_INITIAL_WINDOW, gated);
    record.receiveWindow = new YamuxReceiveWindow(this.config.window);
    if (opener === 'local') this.opens.track(record);
  }

  data(id: number, payload: Uint8Array, inPlace: boolean): TransportMessage {
    if (inPlace && payload.byteOffset >= YAMUX_HEADER_SIZE) {
      const frame = new Uint8Array(payload.buffer, payload.byteOffset - YAMUX_HEADER_SIZE, YAMUX_HEADER_SIZE + payload.length);
      encodeHeader(frame, 0, this.version, YamuxType.Data, 0, id, payload.length);
      return frame;
    }
    if (payload.length < SPLIT_FROM) return encodeData(this.version, 0, id, payload);
    const head = new Uint8Array(YAMUX_HEADER_SIZE);
    encodeHeader(head, 0, this.version, YamuxType.Data, 0, id, payload.length);
    return { head, body: payload };
  }

  end(id: number): Uint8Array {
    return this.lifecycle(YamuxFlag.Fin, id);
  }

  /** RST: yamux carries no reason for a stream. */
  close(id: number): Uint8Array {
    return this.lifecycle(YamuxFlag.Rst, id);
  }

  goAway(reason: number): Uint8Array {
    const code = reason <= this.variant.maxGoAwayCode ? reason : YamuxReason.InternalError;
    this.goAwaySent ??= code;
    return encodeGoAway(this.version, code);
  }

  /** net-mux ends a silent session with GoAway(Timeout); hashicorp/yamux just closes. */
  keepaliveTimeout(): Uint8Array | undefined {
    return this.version === 1 && this.goAwaySent === undefined ? this.goAway(YamuxGoAway.Timeout) : undefined;
  }

  /** The session's end: GoAway with the reason, unless one went out already (drain). */
  closeConnection(reason: number): Uint8Array | undefined {
    return this.goAwaySent === undefined ? this.goAway(reason) : undefined;
  }

  windowUpdate(record: StreamRecord, value: number): void {
    this.core.emit(encodeWindowUpdate(this.version, 0, record.id, value));
  }

  /** The application took the stream: ACK it (version 0 with the extra window). */
  accept(record: StreamRecord): void {
    if (record.acknowledged) return;
    record.acknowledged = true;
    this.unaccepted.delete(record);
    this.core.emit(this.lifecycle(YamuxFlag.Ack, record.id, this.extra));
  }

  ping(): Uint8Array {
    return encodePing(this.version, this.variant.pingRequestFlags, this.pings.keepalive());
  }

  /** Sends a Ping now and resolves with its round-trip time in ms. */
  requestPing(): Promise<number> {
    return this.pings.request((opaque) => this.core.emit(encodePing(this.version, this.variant.pingRequestFlags, opaque)));
  }

  /** The session ended: pings and opens still waiting fail with `error`. */
  ended(error: WispError): void {
    this.pings.end(error);
    this.opens.end(error);
    this.unaccepted.clear();
  }

  private onStreamFrame(header: YamuxHeader, payload: Uint8Array): void {
    const id = header.streamId;
    const honoured = header.type === YamuxType.Data || this.variant.lifecycleFlagsOnWindowUpdate;
    const flags = honoured ? header.flags & LIFECYCLE : 0;
    let record = this.core.stream(id);
    if (flags & YamuxFlag.Syn) {
      if (record) return this.fatal('InvalidStreamId', `duplicate SYN for live stream ${id}`);
      record = this.onSyn(id);
      if (!record) return;
    }
    if (!record) return this.unknownStream(header, flags);
    if (flags & YamuxFlag.Ack && record.onAcknowledged && !record.acknowledged) {
      const send = record.sendWindow as YamuxSendWindow;
      send.gated = false;
      this.core.acknowledged(record);
      this.core.credited(record);
    }
    if (header.type === YamuxType.WindowUpdate && header.length > 0) {
      (record.sendWindow as YamuxSendWindow).grant(header.length);
      this.core.credited(record);
    }
    if (payload.length > 0 && !this.onPayload(record, payload)) return;
    if (flags & YamuxFlag.Fin) {
      if (!record.remoteEnded) this.core.remoteEnd(record);
      else if (this.variant.secondFinFatal) return this.fatal('UnexpectedPacket', `second FIN on stream ${id}`);
    }
    if (flags & YamuxFlag.Rst) {
      // As both peers do: what the reader has not taken yet is dropped, then data$ errors.
      record.queue.discard(new WispError('StreamClosed', `stream ${id} was reset by the peer`, { reason: YamuxReason.Reset }));
      this.core.remoteClose(record, YamuxReason.Reset);
    }
  }

  /** A peer's SYN: checked, then the core opens (or refuses) the stream. */
  private onSyn(id: number): StreamRecord | undefined {
    const ours = id % 2 === (this.role === 'client' ? 1 : 0);
    if (this.variant.checksStreamIds && (ours || id === 0)) {
      this.fatal('InvalidStreamId', `SYN for stream ${id}, an id of this side's parity`);
      return undefined;
    }
    if (this.unaccepted.size >= this.config.acceptBacklog) {
      for (const waiting of this.unaccepted) if (waiting.closed) this.unaccepted.delete(waiting);
      if (this.unaccepted.size >= this.config.acceptBacklog) {
        this.core.emit(this.close(id));
        return undefined;
      }
    }
    const record = this.core.opened(id, 'tcp', '', 0);
    if (record) this.unaccepted.add(record);
    return record;
  }

  /** Payload for a live stream; false when it ended the session. */
  private onPayload(record: StreamRecord, payload: Uint8Array): boolean {
    if (record.remoteEnded) {
      if (this.variant.dataAfterFinFatal) {
        this.core.emit(this.close(record.id));
        this.fatal('UnexpectedPacket', `data on stream ${record.id} after its FIN`);
        return false;
      }
      this.core.protocolError(new WispError('UnexpectedPacket', `data on stream ${record.id} after its FIN: dropped`));
      return true;
    }
    const window = record.receiveWindow as YamuxReceiveWindow;
    if (!window.fits(payload.length)) {
      const reason = this.version === 1 ? YamuxReason.FlowControlError : YamuxReason.ProtocolError;
      this.fatal('Throttled', `stream ${record.id} sent ${payload.length} bytes past its window (${window.remaining} left)`, reason);
      return false;
    }
    this.core.data(record, payload);
    return true;
  }

  /** A frame for a stream that is not open: dropped (version 0), or Data answered with RST (version 1). */
  private unknownStream(header: YamuxHeader, flags: number): void {
    if (this.variant.dataForUnknownStream !== 'rst' || header.type !== YamuxType.Data) return;
    if (flags & (YamuxFlag.Ack | YamuxFlag.Rst)) return;
    this.core.emit(this.close(header.streamId));
  }

  private onGoAway(code: number): void {
    if (this.variant.goAwayNormal === 'no-new-opens' && code === YamuxReason.Normal) {
      this.peerGoneAway = true;
      return;
    }
    if (this.variant.goAwayNormal === 'teardown' && this.goAwaySent === undefined) {
      this.goAwaySent = code;
      this.core.emit(encodeGoAway(this.version, code));
    }
    this.core.peerClosed(code);
  }

  private fatal(code: WispErrorCode, message: string, reason: number = YamuxReason.ProtocolError): void {
    this.core.protocolError(new WispError(code, message, { reason }), true);
  }

  /** SYN/ACK/FIN/RST: on WindowUpdate (with `delta`) in version 0, on an empty Data frame in version 1. */
  private lifecycle(flag: number, id: number, delta = 0): Uint8Array {
    return this.version === 0 ? encodeWindowUpdate(0, flag, id, delta) : encodeData(1, flag, id);
  }
}
