import { TestScheduler } from 'rxjs/testing';
import { clientHandshakeV1, serverHandshakeV1 } from '../../lib/wisp/handshake/v1';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { WispError } from '../../lib/errors';

const packets: Record<string, Packet> = {
  k: { type: PacketType.Continue, streamId: 0, bufferRemaining: 128 },
  d: { type: PacketType.Data, streamId: 1, payload: new Uint8Array([9]) },
  x: { type: PacketType.Close, streamId: 0, reason: 0x48 },
};
const ready = { kind: 'handshake', version: { major: 1, minor: 0 }, bufferSize: 128, downgraded: false, extensions: [] };

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('v1 client handshake (marbles)', () => {
  it('emits the result on CONTINUE(0) and then passes packets through', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const out$ = cold('--k-d|', packets).pipe(clientHandshakeV1({ timeoutMs: 10, scheduler: ts }));
      expectObservable(out$).toBe('--h-d|', { h: ready, d: packets.d });
    });
  });

  it('fails with HandshakeTimeout when the server says nothing', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const out$ = cold('------------k', packets).pipe(clientHandshakeV1({ timeoutMs: 5, scheduler: ts }));
      expectObservable(out$).toBe('-----#', undefined, new WispError('HandshakeTimeout', 'no CONTINUE from the server within 5 ms'));
    });
  });

  it('fails with ConnectionClosedByPeer carrying the reason on CLOSE(0)', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const out$ = cold('-x', packets).pipe(clientHandshakeV1({ timeoutMs: 5, scheduler: ts }));
      expectObservable(out$).toBe('-#', undefined, expect.objectContaining({ code: 'ConnectionClosedByPeer', reason: 0x48 }));
    });
  });

  it('fails with HandshakeFailed on any other first packet, or an early end', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-d', packets).pipe(clientHandshakeV1({ timeoutMs: 5, scheduler: ts }))).toBe(
        '-#', undefined, expect.objectContaining({ code: 'HandshakeFailed' }),
      );
      expectObservable(cold('-|', packets).pipe(clientHandshakeV1({ timeoutMs: 5, scheduler: ts }))).toBe(
        '-#', undefined, expect.objectContaining({ code: 'HandshakeFailed' }),
      );
    });
  });
});

describe('v1 server handshake (marbles)', () => {
  it('sends CONTINUE(0, bufferSize) on subscription and is ready at once', () => {
    const sent: Packet[] = [];
    scheduler().run(({ cold, expectObservable, flush }) => {
      const out$ = cold('--d|', packets).pipe(serverHandshakeV1({ bufferSize: 128, send: (b) => sent.push(decodePacket(b)) }));
      expectObservable(out$).toBe('h-d|', { h: ready, d: packets.d });
      flush();
    });
    expect(sent).toEqual([packets.k]);
  });
});
