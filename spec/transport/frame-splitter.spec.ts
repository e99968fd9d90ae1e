/**
 * FrameSplitter: any cut of a byte stream decodes to the same frames as the whole stream.
 * `npm test` runs the properties at FUZZ_RUNS=2000; `npm run fuzz` raises that.
 */
import { joinBytes } from '../../lib/join-bytes';
import { cutAt, fuzzParams } from '../support/fuzz';
import fc from 'fast-check';
import { FrameSplitter, lengthPrefixLayout, type FrameLayout } from '../../lib/transport/frame-splitter';
import { thrownBy } from '../matchers';


function prefixed(packet: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + packet.length);
  new DataView(frame.buffer).setUint32(0, packet.length, true);
  frame.set(packet, 4);
  return frame;
}

function split(layout: FrameLayout, chunks: readonly Uint8Array[]): { headers: number[][]; bodies: number[][]; pending: number } {
  const headers: number[][] = [];
  const bodies: number[][] = [];
  const splitter = new FrameSplitter(layout, (header, body) => {
    headers.push([...header]);
    bodies.push([...body]);
  });
  for (const chunk of chunks) splitter.push(chunk);
  return { headers, bodies, pending: splitter.pending };
}

describe('FrameSplitter', () => {
  it('property: any cut of a stream of length-prefixed packets yields exactly those packets', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (packets, offsets) => {
        const stream = joinBytes(...packets.map(prefixed));
        const { bodies, pending } = split(lengthPrefixLayout(1024), cutAt(stream, offsets));
        expect(bodies).toEqual(packets.map((p) => [...p]));
        expect(pending).toBe(0);
      }),
      fuzzParams(),
    );
  });

  it('property: a header layout with the length inside (smux-like, u16 at offset 2) splits the same way', () => {
    const layout: FrameLayout = { headerSize: 8, bodyLength: (b, at) => b[at + 2] | (b[at + 3] << 8), maxBody: 65535 };
    const frame = (id: number, body: Uint8Array): Uint8Array => {
      const header = new Uint8Array(8);
      header[0] = 1;
      header[1] = id & 0xff;
      header[2] = body.length & 0xff;
      header[3] = body.length >> 8;
      return joinBytes(header, body);
    };
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (bodies, offsets) => {
        const stream = joinBytes(...bodies.map((b, i) => frame(i, b)));
        const result = split(layout, cutAt(stream, offsets));
        expect(result.bodies).toEqual(bodies.map((b) => [...b]));
        expect(result.headers.map((h) => h[1])).toEqual(bodies.map((_, i) => i & 0xff));
      }),
      fuzzParams(),
    );
  });

  it('hands over frames inside one chunk as views of it, without copying', () => {
    const stream = joinBytes(prefixed(new Uint8Array([1, 2, 3])), prefixed(new Uint8Array([4])));
    const bodies: Uint8Array[] = [];
    new FrameSplitter(lengthPrefixLayout(16), (_h, body) => bodies.push(body)).push(stream);
    expect(bodies.map((b) => b.buffer === stream.buffer)).toEqual([true, true]);
  });

  it('holds an unfinished frame as pending, and refuses a declared length over the limit before buffering it', () => {
    const splitter = new FrameSplitter(lengthPrefixLayout(16), () => undefined);
    splitter.push(prefixed(new Uint8Array(10)).subarray(0, 7));
    expect(splitter.pending).toBe(7);
    const over = new FrameSplitter(lengthPrefixLayout(16), () => undefined);
    expect(thrownBy(() => over.push(new Uint8Array([0xff, 0xff, 0xff, 0x7f])))).toMatchObject({ code: 'PacketTooLarge' });
    // Also when the oversized header arrives a byte at a time.
    const slow = new FrameSplitter(lengthPrefixLayout(16), () => undefined);
    slow.push(new Uint8Array([17]));
    slow.push(new Uint8Array([0, 0]));
    expect(thrownBy(() => slow.push(new Uint8Array([0])))).toMatchObject({ code: 'PacketTooLarge' });
  });
});
