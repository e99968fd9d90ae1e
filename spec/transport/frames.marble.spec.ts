/** The `frames` operator in marbles: frames cut across chunks, the typed errors, teardown. */
import { from, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { lengthPrefixLayout, type FrameLayout } from '../../lib/transport/frame-splitter';
import { frames } from '../../lib/transport/frames';
import type { SplitMessage, TransportMessage } from '../../lib/transport/transport';
import { failTest } from '../observers';

/** The test layout: `type u8 · length u16 LE · body`. */
const layout: FrameLayout = { headerSize: 3, bodyLength: (b, at) => b[at + 1] | (b[at + 2] << 8), maxBody: 16 };

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const frame = (type: number, ...body: number[]): SplitMessage => ({ head: bytes(type, body.length, 0), body: bytes(...body) });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('frames (marbles)', () => {
  it('emits each frame when its last byte arrives, however the chunks cut it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const chunks: Record<string, TransportMessage> = {
        a: bytes(1, 2, 0, 0xa1), // type 1, 2-byte body: only one body byte yet
        b: bytes(0xa2, 2, 0, 0), // its last byte, then a header with no body: frame 2 complete
        c: bytes(3), //             a header cut after its first byte
        d: bytes(1, 0), //          the rest of it (1-byte body, still to come)
        e: bytes(0xc1, 4, 1, 0, 0xd1), // frame 3 done; frame 4 whole inside this chunk
        f: bytes(),
      };
      const out$ = cold('a-b-c-d-e-f-|', chunks).pipe(frames(layout));
      expectObservable(out$).toBe('--(xy)--(zw)|', { x: frame(1, 0xa1, 0xa2), y: frame(2), z: frame(3, 0xc1), w: frame(4, 0xd1) });
    });
  });

  it('feeds a SplitMessage as its head, then its body', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source$ = cold<TransportMessage>('-s-t|', { s: { head: bytes(7, 3), body: bytes(0, 1, 2, 3) }, t: { head: bytes(3), body: bytes(9) } });
      expectObservable(source$.pipe(frames(layout))).toBe('-x--#', { x: frame(7, 1, 2, 3) }, expect.objectContaining({ code: 'TransportClosed' }));
    });
  });

  it('errors with PacketTooLarge when a header declares more than maxBody, and stops reading', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source$ = cold('-a-b-c|', { a: bytes(1, 0, 0), b: bytes(1, 17, 0), c: bytes(1, 0, 0) });
      expectObservable(source$.pipe(frames(layout))).toBe('-x-#', { x: frame(1) }, expect.objectContaining({ name: 'WispError', code: 'PacketTooLarge' }));
      expectSubscriptions(source$.subscriptions).toBe('^--!');
    });
  });

  it('errors with TransportClosed when the source completes inside a frame (header or body)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const closed: unknown = expect.objectContaining({ code: 'TransportClosed', message: expect.stringMatching(/^the stream ended inside a frame/) as unknown });
      expectObservable(cold('-a|', { a: bytes(1, 2, 0, 9) }).pipe(frames(layout))).toBe('--#', undefined, closed);
      expectObservable(cold('-a|', { a: bytes(1) }).pipe(frames(layout))).toBe('--#', undefined, closed);
    });
  });

  it('passes a source error on as it came', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('boom');
      expectObservable(cold('-a-#', { a: bytes(1, 0, 0) }, error).pipe(frames(layout))).toBe('-x-#', { x: frame(1) }, error);
    });
  });

  it('holds one subscription to the source, and unsubscribing ends it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source$ = cold('-a-a-a-a-|', { a: bytes(5, 0, 0) });
      expectObservable(source$.pipe(frames(layout)), '^---!').toBe('-x-x', { x: frame(5) });
      expectSubscriptions(source$.subscriptions).toBe('^---!');
    });
  });

  it('stops splitting mid-chunk once the reader is gone (take(1) over a chunk of many frames)', () => {
    let headersRead = 0;
    const counting: FrameLayout = { ...layout, bodyLength: (b, at) => (headersRead++, layout.bodyLength(b, at)) };
    const chunk = bytes(1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0);
    let got: SplitMessage[] = [];
    from([chunk]).pipe(frames(counting), take(1), toArray()).subscribe({ next: (all) => (got = all), error: failTest });
    expect(got).toEqual([frame(1)]);
    expect(headersRead).toBe(1);
  });

  it('hands frames inside one chunk over as views of it (no copy); lengthPrefixLayout works the same', () => {
    const chunk = bytes(2, 0, 0, 0, 0xaa, 0xbb, 1, 0, 0, 0, 0xcc);
    let got: SplitMessage[] = [];
    from([chunk]).pipe(frames(lengthPrefixLayout(16)), toArray()).subscribe({ next: (all) => (got = all), error: failTest });
    expect(got.map((f) => [...f.body])).toEqual([[0xaa, 0xbb], [0xcc]]);
    expect(got.every((f) => f.head.buffer === chunk.buffer && f.body.buffer === chunk.buffer)).toBe(true);
  });
});
