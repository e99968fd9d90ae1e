/**
 * decodePackets, the first stage of every Wisp connection: whole and split messages become
 * packets, a malformed one is reported and skipped, and — as an RxJS Subscriber's observer
 * would — what its downstream throws is reported as an unhandled error rather than thrown
 * into the transport, and nothing passes after the end.
 */
import { Observable, Subject, Subscription, config, type Observer } from 'rxjs';
import type { WispError } from '../../lib/errors';
import { decodePackets } from '../../lib/wisp/handshake/decode-packets';
import { encodeClose, encodeData, encodeDataHeader } from '../../lib/wisp/packet/encode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import type { TransportMessage } from '../../lib/transport/transport';

/** A downstream that is a Subscription itself (as the handshake phase is): no Subscriber guards it. */
class Downstream extends Subscription implements Observer<Packet> {
  readonly packets: Packet[] = [];
  ended: string | undefined;
  throwOn: number | undefined;

  next(packet: Packet): void {
    if (packet.streamId === this.throwOn) throw new Error(`downstream failed on stream ${packet.streamId}`);
    this.packets.push(packet);
  }

  error(): void {
    this.ended = 'error';
  }

  complete(): void {
    this.ended = 'complete';
  }
}

function setUp(): { source$: Subject<TransportMessage>; down: Downstream; malformed: WispError[] } {
  const source$ = new Subject<TransportMessage>();
  const malformed: WispError[] = [];
  const down = new Downstream();
  source$.pipe(decodePackets((error) => malformed.push(error))).subscribe(down);
  return { source$, down, malformed };
}

describe('decodePackets', () => {
  afterEach(() => {
    config.onUnhandledError = null;
    jest.useRealTimers();
  });

  it('decodes whole and split messages; a malformed one is reported and skipped', () => {
    const { source$, down, malformed } = setUp();
    source$.next(encodeData(1, new Uint8Array([1, 2])));
    source$.next(new Uint8Array([0x77])); // too short to be a packet
    source$.next({ head: encodeDataHeader(2), body: new Uint8Array([3]) });
    source$.next(encodeClose(1, 0x02));
    expect(malformed).toHaveLength(1);
    expect(down.packets.map((p) => [p.type, p.streamId])).toEqual([
      [PacketType.Data, 1],
      [PacketType.Data, 2],
      [PacketType.Close, 1],
    ]);
  });

  it('reports what its downstream throws as an unhandled error, and goes on decoding', () => {
    jest.useFakeTimers();
    const unhandled: unknown[] = [];
    config.onUnhandledError = (error) => unhandled.push(error);
    const { source$, down } = setUp();
    down.throwOn = 1;
    expect(() => source$.next(encodeData(1, new Uint8Array([1])))).not.toThrow();
    source$.next(encodeData(2, new Uint8Array([2])));
    jest.runAllTimers();
    expect(unhandled).toEqual([new Error('downstream failed on stream 1')]);
    expect(down.packets.map((p) => p.streamId)).toEqual([2]);
  });

  it('passes nothing after the end, and unsubscribing it unsubscribes the source', () => {
    // A source that breaks the contract: it goes on after completing.
    const unruly$ = new Observable<TransportMessage>((subscriber) => {
      subscriber.complete();
      subscriber.next(encodeData(1, new Uint8Array([1])));
      subscriber.error(new Error('after the end'));
    });
    const down = new Downstream();
    unruly$.pipe(decodePackets(() => undefined)).subscribe(down);
    expect(down.ended).toBe('complete');
    expect(down.packets).toEqual([]);

    const other = setUp();
    expect(other.source$.observed).toBe(true);
    other.down.unsubscribe();
    expect(other.source$.observed).toBe(false);
  });
});
