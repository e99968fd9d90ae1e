/**
 * Version 0 windows beyond 256 KiB: the extra is granted with the first frame (SYN or ACK
 * WindowUpdate delta), as Go's MaxStreamWindowSize does, both ways; and the window arithmetic
 * itself (property tests of the two halves).
 */
import fc from 'fast-check';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxFlag, encodeData, encodePing, encodeWindowUpdate } from '../../lib/yamux/frame';
import { YamuxReceiveWindow, YamuxSendWindow } from '../../lib/yamux/windows';
import { failTest } from '../observers';
import { sessionWithRawPeer, until } from './helpers';

const MiB = 1024 * 1024;
const EXTRA = MiB - 256 * 1024;

describe('version 0 windows larger than 256 KiB', () => {
  it('our SYN and ACK carry the extra (window − 256 KiB) as their delta', async () => {
    const { session, peer } = await sessionWithRawPeer('client', { version: 0, window: MiB, keepalive: false });
    session.streams$.subscribe({ next: () => undefined, error: failTest });
    await session.open();
    peer.send(encodeWindowUpdate(0, YamuxFlag.Syn, 2, 0));
    await until(() => peer.seen().length === 2);
    expect(peer.seen()).toEqual([`WindowUpdate SYN 1 ${EXTRA}`, `WindowUpdate ACK 2 ${EXTRA}`]);
    // The peer may now send the whole 1 MiB before any update; a byte more cuts the session.
    for (let i = 0; i < 16; i++) peer.send(encodeData(0, 0, 1, new Uint8Array(64 * 1024)));
    peer.send(encodePing(0, YamuxFlag.Syn, 5));
    await until(() => peer.seen().includes('Ping ACK 0 5'));
    expect(session.debugState().ended).toBe(false);
    peer.send(encodeData(0, 0, 1, Uint8Array.of(1)));
    await until(() => session.debugState().ended, 5000, 'the session ending on the overrun');
    await until(() => peer.seen().includes('GoAway - 0 1'));
  });

  it('a peer’s SYN delta raises our send window for that stream', async () => {
    const { session, peer } = await sessionWithRawPeer('server', { version: 0, keepalive: false });
    const incoming: MuxStream[] = [];
    session.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    peer.send(encodeWindowUpdate(0, YamuxFlag.Syn, 1, EXTRA));
    await until(() => incoming.length === 1);
    expect(incoming[0].credit).toBe(MiB);
    incoming[0].write(new Uint8Array(2 * MiB)).catch(() => undefined);
    const sent = (): number => peer.frames.filter((f) => f.header.type === 0).reduce((n, f) => n + f.header.length, 0);
    await until(() => sent() === MiB);
    peer.send(encodePing(0, YamuxFlag.Syn, 9));
    await until(() => peer.seen().includes('Ping ACK 0 9'));
    expect(sent()).toBe(MiB);
    session.abort();
  });
});

describe('window arithmetic (properties)', () => {
  it('a receive window never lets more than it granted in, and grants back exactly what was consumed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.array(fc.integer({ min: 0, max: 1 << 18 }), { maxLength: 200 }), (size, frames) => {
        const window = new YamuxReceiveWindow(size);
        let inFlight = 0; // received, not yet granted back
        let granted = 0;
        let consumed = 0;
        for (const n of frames) {
          const fits = window.fits(n);
          expect(window.receive(n)).toBe(fits);
          if (!fits) continue;
          inFlight += n;
          expect(inFlight).toBeLessThanOrEqual(size);
          consumed += n;
          const delta = window.consume(1, n);
          if (delta >= 0) {
            expect(delta).toBeGreaterThanOrEqual(size / 2);
            granted += delta;
            inFlight -= delta;
          }
        }
        expect(consumed - granted).toBeLessThan(size / 2);
        expect(window.remaining).toBe(size - (consumed - granted));
      }),
    );
  });

  it('a send window hands out no more than its credit, and adds grants saturating at 2³²−1', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ take: fc.integer({ min: 1, max: 1 << 20 }) }), fc.record({ grant: fc.integer({ min: 0, max: 0xffffffff }) })), { maxLength: 100 }), (ops) => {
        const window = new YamuxSendWindow(256 * 1024);
        let credit = 256 * 1024;
        for (const op of ops) {
          if ('take' in op) {
            const got = window.take(op.take);
            if (credit === 0) expect(got).toBe(-1);
            else {
              expect(got).toBe(Math.min(op.take, credit));
              credit -= got;
            }
          } else {
            window.grant(op.grant);
            credit = Math.min(0xffffffff, credit + op.grant);
          }
          expect(window.available).toBe(credit);
        }
      }),
    );
  });

  it('a gated send window (version 1 before the ACK) sends nothing', () => {
    const window = new YamuxSendWindow(1000, true);
    expect(window.take(10)).toBe(-1);
    expect(window.available).toBe(0);
    window.gated = false;
    expect(window.take(10)).toBe(10);
  });
});

