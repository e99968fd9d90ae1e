/**
 * The smux wire half the core drives (lib/core/protocol.ts `Wire`): SYN opens, PSH carries data,
 * FIN half-closes, NOP keeps alive, v2's UPD moves the per-stream windows. smux has no RST,
 * no error codes and no goodbye frame (shared smux-notes.md §2, §6, §8): a stream closed or
 * reset here sends FIN, and the session ends by closing the byte stream.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import type { CoreReasons, ProtocolFeatures, Role, StreamIdRule, Wire, WireInput } from '../core/protocol.js';
import type { StreamKind, StreamRecord } from '../core/stream-record.js';
import type { SplitMessage, TransportMessage } from '../transport/transport.js';
import { SMUX_HEADER_SIZE, SmuxCmd, decodeUpdate, encodeFrame, encodeHeader, encodeUpdFrame, type SmuxVersion } from './frame.js';
import { SMUX_GO_FIRST_STREAM_ID } from './defaults.js';
import { SmuxReceiveWindow, SmuxSendWindow } from './windows.js';

/**
 * Close reasons. smux carries none on the wire: these only tell, on this side, why a stream
 * or the session ended (`MuxStream.closeReason`, `SmuxSession.closed$`).
 */
export const SmuxReason = {
  /** A normal end (FIN both ways, or a local close). */
  Normal: 0,
  /** A SYN refused: the session is at `maxStreams`, or it is closing. */
  Limit: 1,
  /** The peer sent past the stream's v2 window: the stream was cut. */
  Overrun: 2,
  /** The peer did not read what we sent. */
  Throttled: 3,
  /** An error on this side, or bad input from the peer. */
  Error: 4,
} as const;

/** Payloads below this are copied behind their header (one buffer); larger ones go as two parts. */
const JOIN_BELOW = 512;

/** One smux session's wire. */
export class SmuxWire implements Wire<SplitMessage> {
  readonly features: ProtocolFeatures;
  readonly ids: StreamIdRule;
  readonly reasons: CoreReasons = {
    normal: SmuxReason.Normal,
    limit: SmuxReason.Limit,
    overrun: SmuxReason.Overrun,
    throttled: SmuxReason.Throttled,
    error: SmuxReason.Error,
  };
  private readonly nop: Uint8Array;
  /** The last id this side opened. */
  private lastOpened = 0;
  /** The parity of the ids the peer opens (1: odd, a client's; 0: even, a server's). */
  private readonly peerParity: number;

  constructor(
    private readonly core: WireInput,
    role: Role,
    private readonly version: SmuxVersion,
    private readonly streamBuffer: number,
    keepalive: boolean,
  ) {
    this.features = { halfClose: true, localOpens: true, peerOpens: true, keepalive, openAck: false };
    // As Go: a client opens 3, 5, 7 …, a server 2, 4, 6 … (never 0 or 1).
    this.ids = { first: SMUX_GO_FIRST_STREAM_ID[role], step: 2, max: 0xffffffff };
    this.peerParity = role === 'client' ? 0 : 1;
    this.nop = encodeFrame(version, SmuxCmd.Nop, 0);
  }

  /** One frame the decoder passed (its header already checked). */
  receive(frame: SplitMessage): void {
    const head = frame.head;
    const sid = (head[4] | (head[5] << 8) | (head[6] << 16)) + head[7] * 0x1000000;
    switch (head[1]) {
      case SmuxCmd.Psh: {
        const record = this.core.stream(sid);
        // Length 0 is skipped; an unknown id (a stream closed here) is dropped, as Go does.
        if (record && frame.body.length > 0) this.core.data(record, frame.body);
        return;
      }
      case SmuxCmd.Syn:
        return this.syn(sid);
      case SmuxCmd.Fin: {
        const record = this.core.stream(sid);
        if (record) this.core.remoteEnd(record);
        return;
      }
      case SmuxCmd.Upd:
        return this.update(sid, frame.body);
      default: // NOP: hearing it is all it is for (the actor noted it)
        return;
    }
  }

  /** A frame the decoder rejected: Go stops reading for good; this ends the session. */
  malformed(): void {
    this.core.shutdown(SmuxReason.Error);
  }

  /**
   * SYN. Ids are never reused, as in Go: once the core's counter wraps (after 2^31 opens),
   * every open fails (Go: ErrGoAway), since a Go peer silently ignores a SYN for an id it
   * still holds.
   */
  open(id: number, _kind: StreamKind): Uint8Array {
    if (id <= this.lastOpened) throw new WispError('MaxStreamCountReached', 'smux stream ids are used up (Go: ErrGoAway): open a new session');
    this.lastOpened = id;
    return encodeFrame(this.version, SmuxCmd.Syn, id);
  }

  windows(record: StreamRecord): void {
    if (this.version !== 2) return; // v1: no per-stream window; the session budget bounds it
    record.sendWindow = new SmuxSendWindow();
    record.receiveWindow = new SmuxReceiveWindow(this.streamBuffer);
  }

  data(id: number, payload: Uint8Array, inPlace: boolean): TransportMessage {
    const length = payload.length;
    if (inPlace && payload.byteOffset >= SMUX_HEADER_SIZE) {
      const frame = new Uint8Array(payload.buffer, payload.byteOffset - SMUX_HEADER_SIZE, SMUX_HEADER_SIZE + length);
      encodeHeader(frame, 0, this.version, SmuxCmd.Psh, length, id);
      return frame;
    }
    if (length < JOIN_BELOW) return encodeFrame(this.version, SmuxCmd.Psh, id, payload);
    const head = new Uint8Array(SMUX_HEADER_SIZE);
    encodeHeader(head, 0, this.version, SmuxCmd.Psh, length, id);
    return { head, body: payload };
  }

  end(id: number): Uint8Array {
    return encodeFrame(this.version, SmuxCmd.Fin, id);
  }

  /**
   * No RST in smux: closing or resetting a stream sends FIN, unless ours already went out
   * (then a NOP, harmless filler, since the core needs a frame).
   */
  close(id: number): Uint8Array {
    if (this.core.stream(id)?.localEnded) return this.nop;
    return encodeFrame(this.version, SmuxCmd.Fin, id);
  }

  goAway(): undefined {
    return undefined; // smux has no GoAway frame ("GoAway" is only a local error name in Go)
  }

  closeConnection(): undefined {
    return undefined; // no goodbye frame: the byte stream's end is the session's
  }

  windowUpdate(record: StreamRecord, consumed: number): void {
    const window = record.receiveWindow instanceof SmuxReceiveWindow ? record.receiveWindow.size : this.streamBuffer;
    this.core.emit(encodeUpdFrame(record.id, consumed, window));
  }

  accept(): void {}

  ping(): Uint8Array {
    return this.nop;
  }

  private syn(sid: number): void {
    if (this.core.stream(sid)) {
      // Go ignores it without a word; the stream goes on.
      this.core.protocolError(new WispError('InvalidStreamId', `smux SYN for stream ${sid}, which is open`));
      return;
    }
    if (sid === 0 || sid % 2 !== this.peerParity) {
      // Go accepts any id; an id of our parity could collide with ours, so it is refused (FIN).
      this.core.protocolError(new WispError('InvalidStreamId', `smux SYN for stream ${sid}: not an id the peer may open`));
      this.core.emit(encodeFrame(this.version, SmuxCmd.Fin, sid));
      return;
    }
    this.core.opened(sid, 'tcp', '', 0);
  }

  private update(sid: number, body: Uint8Array): void {
    const record = this.core.stream(sid);
    const window = record?.sendWindow;
    if (!record || !(window instanceof SmuxSendWindow)) return; // unknown id: dropped, as Go does
    const { consumed, window: size } = decodeUpdate(body);
    if (!window.update(consumed, size)) {
      this.core.protocolError(new WispError('InvalidFrame', `smux UPD on stream ${sid} claims ${consumed} bytes consumed, more than were sent`));
      this.core.abort(record, SmuxReason.Error);
      return;
    }
    this.core.credited(record);
  }
}
