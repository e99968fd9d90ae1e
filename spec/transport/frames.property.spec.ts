/**
 * Property: for any list of frames and ANY cut of their bytes into chunks (1-byte chunks,
 * empty chunks, chunks handed over as split messages), `frames` emits exactly those frames,
 * byte for byte, in order. `npm test` runs FUZZ_RUNS=300 cases per property; `npm run fuzz`
 * raises that (spec/fuzz-setup.js). Reproduce a failure with FUZZ_SEED=<seed printed by fast-check>.
 */
import { joinBytes } from '../../lib/join-bytes';
import { fuzzParams } from '../support/fuzz';
import fc from 'fast-check';
import { from, toArray } from 'rxjs';
import { lengthPrefixLayout, type FrameLayout } from '../../lib/transport/frame-splitter';
import { frames } from '../../lib/transport/frames';
import type { SplitMessage, TransportMessage } from '../../lib/transport/transport';

const options = fuzzParams(300);

/** `type u8 · length u16 LE · body`. */
const typed: FrameLayout = { headerSize: 3, bodyLength: (b, at) => b[at + 1] | (b[at + 2] << 8), maxBody: 65535 };

interface Frame {
  readonly head: Uint8Array;
  readonly body: Uint8Array;
}

const typedFrame = fc
  .record({ type: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 300 }) })
  .map(({ type, body }): Frame => ({ head: new Uint8Array([type, body.length & 0xff, body.length >> 8]), body }));

const prefixedFrame = fc.uint8Array({ maxLength: 300 }).map((body): Frame => {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, body.length, true);
  return { head, body };
});

/**
 * How to cut the stream: chunk sizes taken in turn (0 gives an empty chunk), or every chunk
 * one byte; and whether neighbouring chunks travel as one split message.
 */
const cutting = fc.record({
  sizes: fc.oneof(fc.constant([1]), fc.array(fc.nat({ max: 700 }), { minLength: 1, maxLength: 30 })),
  pairs: fc.boolean(),
});

function cut(stream: Uint8Array, { sizes, pairs }: { sizes: readonly number[]; pairs: boolean }): TransportMessage[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < stream.length || i < sizes.length; i++) {
    const size = sizes[i % sizes.length];
    // Once past the given sizes, an all-zero list must still make progress.
    const take = i >= sizes.length && size === 0 ? 1 : size;
    chunks.push(stream.subarray(at, Math.min(stream.length, at + take)));
    at += take;
  }
  if (!pairs) return chunks;
  const messages: TransportMessage[] = [];
  for (let i = 0; i < chunks.length; i += 2) {
    messages.push(i + 1 < chunks.length ? { head: chunks[i], body: chunks[i + 1] } : chunks[i]);
  }
  return messages;
}

function run(layout: FrameLayout, messages: readonly TransportMessage[]): SplitMessage[] {
  // Synchronous source: an error is caught here and thrown, so fast-check sees (and shrinks) it.
  let out: SplitMessage[] | undefined;
  let failure: unknown;
  from(messages).pipe(frames(layout), toArray()).subscribe({ next: (all) => (out = all), error: (error: unknown) => (failure = error) });
  if (failure !== undefined) throw failure as Error;
  if (!out) throw new Error('frames did not complete');
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectFrames(got: readonly SplitMessage[], want: readonly Frame[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((frame, i) => {
    if (!sameBytes(frame.head, want[i].head) || !sameBytes(frame.body, want[i].body)) {
      const show = (f: Frame): string => `${f.head.join(',')} | ${f.body.join(',')}`;
      throw new Error(`frame ${i} differs: got ${show(frame)}, want ${show(want[i])}`);
    }
  });
}

describe('frames (property)', () => {
  it('any cut of a stream of typed frames (u8 type, u16 LE length) yields exactly those frames', () => {
    fc.assert(
      fc.property(fc.array(typedFrame, { maxLength: 20 }), cutting, (list, how) => {
        const stream = joinBytes(...list.flatMap((f) => [f.head, f.body]));
        expectFrames(run(typed, cut(stream, how)), list);
      }),
      options,
    );
  });

  it('any cut of a stream of length-prefixed frames (lengthPrefixLayout) yields exactly those frames', () => {
    fc.assert(
      fc.property(fc.array(prefixedFrame, { maxLength: 20 }), cutting, (list, how) => {
        const stream = joinBytes(...list.flatMap((f) => [f.head, f.body]));
        expectFrames(run(lengthPrefixLayout(1024), cut(stream, how)), list);
      }),
      options,
    );
  });
});
