/**
 * A throwaway second protocol, for tests only: it proves the core runs a protocol through
 * the seam (lib/core/protocol.ts) without any other change to lib/core. Frames over a byte stream:
 * `type u8 · id u32 LE · length u16 LE · body`. Both sides open streams (client odd ids,
 * server even), FIN half-closes, RST carries a reason byte, WINDOW adds byte credit, PING is
 * answered with PONG, GOAWAY stops new streams, BYE ends the connection.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { WispError } from '../../lib/errors';
import type { Protocol, ReceiveWindow, Role, SendWindow, Wire, WireInput } from '../../lib/core/protocol';
import type { StreamKind, StreamRecord } from '../../lib/core/stream-record';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { isSplitMessage, type TransportMessage } from '../../lib/transport/transport';

export const Toy = { Open: 1, Data: 2, Fin: 3, Rst: 4, Window: 5, Ping: 6, Pong: 7, GoAway: 8, Bye: 9 } as const;
export const ToyReason = { Normal: 0, Limit: 1, Overrun: 2, Throttled: 3, Error: 4 } as const;
const HEADER = 7;

export interface ToyFrame {
  readonly type: number;
  readonly id: number;
  readonly body: Uint8Array;
}

export function encodeToy(type: number, id: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(HEADER + body.length);
  const view = new DataView(frame.buffer);
  frame[0] = type;
  view.setUint32(1, id, true);
  view.setUint16(5, body.length, true);
  frame.set(body, HEADER);
  return frame;
}

const u8 = (value: number): Uint8Array => Uint8Array.of(value);
const u32 = (value: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
};

/** Cuts the byte stream into frames (messages' boundaries mean nothing here). */
function splitFrames(): OperatorFunction<TransportMessage, TransportMessage> {
  return (source$) =>
    new Observable<TransportMessage>((subscriber) => {
      const splitter = new FrameSplitter(
        { headerSize: HEADER, bodyLength: (bytes, at) => bytes[at + 5] | (bytes[at + 6] << 8), maxBody: 0xffff },
        (head, body) => subscriber.next({ head, body }),
      );
      return source$.subscribe({
        next(message) {
          try {
            if (isSplitMessage(message)) {
              splitter.push(message.head);
              splitter.push(message.body);
            } else splitter.push(message);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

class ByteWindow implements SendWindow {
  readonly short = false; // counted in bytes: small writes never wait to gather
  constructor(public available: number) {}
  take(want: number): number {
    if (this.available <= 0) return -1;
    const size = Math.min(want, this.available);
    this.available -= size;
    return size;
  }
}

class ByteReceive implements ReceiveWindow {
  private received = 0;
  private granted: number;
  private unacked = 0;
  constructor(private readonly size: number) {
    this.granted = size;
  }
  receive(size: number): boolean {
    if (this.received + size > this.granted) return false;
    this.received += size;
    return true;
  }
  consume(_frames: number, bytes: number): number {
    this.unacked += bytes;
    if (this.unacked < this.size / 2) return -1;
    const grant = this.unacked;
    this.unacked = 0;
    this.granted += grant;
    return grant;
  }
}

class ToyWire implements Wire<ToyFrame> {
  readonly features = { halfClose: true, localOpens: true, peerOpens: true, keepalive: true, openAck: false };
  readonly ids;
  readonly reasons = { normal: ToyReason.Normal, limit: ToyReason.Limit, overrun: ToyReason.Overrun, throttled: ToyReason.Throttled, error: ToyReason.Error };

  constructor(
    private readonly core: WireInput,
    private readonly role: Role,
    private readonly window: number,
  ) {
    this.ids = { first: role === 'client' ? 1 : 2, step: 2, max: 0xffffffff };
  }

  receive(frame: ToyFrame): void {
    const record = this.core.stream(frame.id);
    switch (frame.type) {
      case Toy.Open:
        if (record || frame.id % 2 === (this.role === 'client' ? 1 : 0)) {
          return this.core.protocolError(new WispError('InvalidStreamId', `bad OPEN for stream ${frame.id}`));
        }
        this.core.opened(frame.id, 'tcp', '', 0);
        return;
      case Toy.Data:
        if (record) this.core.data(record, frame.body);
        return;
      case Toy.Fin:
        if (record) this.core.remoteEnd(record);
        return;
      case Toy.Rst:
        if (record) this.core.remoteClose(record, frame.body[0] ?? ToyReason.Error);
        return;
      case Toy.Window:
        if (record && record.sendWindow instanceof ByteWindow) {
          record.sendWindow.available += new DataView(frame.body.buffer, frame.body.byteOffset, 4).getUint32(0, true);
          this.core.credited(record);
        }
        return;
      case Toy.Ping:
        return this.core.emit(encodeToy(Toy.Pong, 0));
      case Toy.Pong:
        return;
      case Toy.GoAway:
        return this.core.peerGoingAway(frame.body[0] ?? ToyReason.Normal);
      case Toy.Bye:
        return this.core.peerClosed(frame.body[0] ?? ToyReason.Normal);
      default:
        this.core.protocolError(new WispError('InvalidPacketType', `unknown toy frame ${frame.type}`), true);
    }
  }

  malformed(): void {}
  open(id: number, _kind: StreamKind): Uint8Array {
    return encodeToy(Toy.Open, id);
  }
  windows(record: StreamRecord): void {
    record.sendWindow = new ByteWindow(this.window);
    record.receiveWindow = new ByteReceive(this.window);
  }
  data(id: number, payload: Uint8Array): TransportMessage {
    return encodeToy(Toy.Data, id, payload);
  }
  end(id: number): Uint8Array {
    return encodeToy(Toy.Fin, id);
  }
  close(id: number, reason: number): Uint8Array {
    return encodeToy(Toy.Rst, id, u8(reason));
  }
  goAway(reason: number): Uint8Array {
    return encodeToy(Toy.GoAway, 0, u8(reason));
  }
  closeConnection(reason: number): Uint8Array {
    return encodeToy(Toy.Bye, 0, u8(reason));
  }
  windowUpdate(record: StreamRecord, value: number): void {
    this.core.emit(encodeToy(Toy.Window, record.id, u32(value)));
  }
  accept(): void {}
  ping(): Uint8Array {
    return encodeToy(Toy.Ping, 0);
  }
}

/** The toy protocol for one connection; `window`: each stream's window in bytes, both ways. */
export function toyProtocol(role: Role, window = 16 * 1024): Protocol<ToyFrame, { readonly role: Role }> {
  return {
    name: 'toy',
    framing: splitFrames(),
    decode: () => (source$) =>
      new Observable<ToyFrame>((subscriber) =>
        source$.subscribe({
          next(message) {
            const head = isSplitMessage(message) ? message.head : message.subarray(0, HEADER);
            const body = isSplitMessage(message) ? message.body : message.subarray(HEADER);
            subscriber.next({ type: head[0], id: new DataView(head.buffer, head.byteOffset, HEADER).getUint32(1, true), body });
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
    // Nothing to negotiate: settled at once, as Wisp v1's server is.
    handshake: () => (source$) =>
      new Observable<ToyFrame | { readonly role: Role }>((subscriber) => {
        subscriber.next({ role });
        return source$.subscribe(subscriber);
      }),
    refuseHandshake: () => undefined,
    wire: (_settled, input) => new ToyWire(input, role, window),
  };
}
