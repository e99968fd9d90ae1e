/**
 * Property tests for the yamux-family codec. `npm test` runs them at FUZZ_RUNS=2000 (the
 * default below); `npm run fuzz` raises that to 100000. Reproduce a failure with FUZZ_SEED=<seed>.
 */
import fc from 'fast-check';
import {
  YAMUX_HEADER_SIZE,
  YAMUX_KNOWN_FLAGS,
  YamuxType,
  checkHeader,
  decodeHeader,
  encodeControl,
  encodeData,
  encodeHeader,
  parseHeader,
  yamuxLayout,
  type YamuxVersion,
} from '../../lib/yamux/frame';
import { WispError } from '../../lib/errors';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { joinBytes } from '../../lib/join-bytes';
import { cutAt, fuzzParams } from '../support/fuzz';


const u32 = fc.integer({ min: 0, max: 0xffffffff });
const version = fc.constantFrom<YamuxVersion>(0, 1);
const knownFlags = fc.integer({ min: 0, max: YAMUX_KNOWN_FLAGS });
const controlType = fc.constantFrom(YamuxType.WindowUpdate, YamuxType.Ping, YamuxType.GoAway);

describe('yamux codec properties', () => {
  it('Data frames round-trip and pass checkHeader (stream ≠ 0, known flags)', () => {
    fc.assert(
      fc.property(version, knownFlags, fc.integer({ min: 1, max: 0xffffffff }), fc.uint8Array({ maxLength: 300 }), (v, flags, streamId, payload) => {
        const frame = encodeData(v, flags, streamId, payload);
        const header = decodeHeader(frame);
        expect(header).toEqual({ version: v, type: YamuxType.Data, flags, streamId, length: payload.length });
        expect(checkHeader(header, v)).toBeUndefined();
        expect(frame.subarray(YAMUX_HEADER_SIZE)).toEqual(payload);
      }),
      fuzzParams(),
    );
  });

  it('WindowUpdate, Ping and GoAway round-trip any u32 value and id, with no body', () => {
    fc.assert(
      fc.property(version, controlType, knownFlags, u32, u32, (v, type, flags, streamId, value) => {
        const frame = encodeControl(v, type, flags, streamId, value);
        expect(frame.length).toBe(YAMUX_HEADER_SIZE);
        expect(parseHeader(frame, 0, v)).toEqual({ version: v, type, flags, streamId, length: value });
      }),
      fuzzParams(),
    );
  });

  it('any 12 bytes parse to a valid header that re-encodes to them, or to a typed error; nothing throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 28 }), fc.nat({ max: 28 }), version, (bytes, at, v) => {
        const result = parseHeader(bytes, at, v);
        if (result instanceof WispError) {
          expect(['PacketTooShort', 'InvalidVersion', 'InvalidFrame']).toContain(result.code);
          expect(result.code === 'PacketTooShort').toBe(bytes.length - at < YAMUX_HEADER_SIZE);
        } else {
          const again = new Uint8Array(YAMUX_HEADER_SIZE);
          encodeHeader(again, 0, result.version as YamuxVersion, result.type as YamuxType, result.flags, result.streamId, result.length);
          expect(again).toEqual(bytes.subarray(at, at + YAMUX_HEADER_SIZE));
          if (v === 1) expect(result.flags & ~YAMUX_KNOWN_FLAGS).toBe(0);
        }
      }),
      fuzzParams(),
    );
  });

  it('yamuxLayout + FrameSplitter cut concatenated random frames back out under any chunking', () => {
    // Data with a body, every other type byte (known or not) with any u32 in length and no body.
    const dataArb = fc.record({ type: fc.constant(0), flags: fc.integer({ min: 0, max: 0xffff }), streamId: u32, body: fc.uint8Array({ maxLength: 300 }), value: fc.constant(0) });
    const otherArb = fc.record({ type: fc.integer({ min: 1, max: 255 }), flags: fc.integer({ min: 0, max: 0xffff }), streamId: u32, body: fc.constant(new Uint8Array(0)), value: u32 });
    fc.assert(
      fc.property(fc.array(fc.oneof(dataArb, otherArb), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, offsets) => {
        const encoded = frames.map(({ type, flags, streamId, body, value }) => {
          const frame = new Uint8Array(YAMUX_HEADER_SIZE + body.length);
          encodeHeader(frame, 0, 0, YamuxType.Data, flags, streamId, type === 0 ? body.length : value);
          frame[1] = type;
          frame.set(body, YAMUX_HEADER_SIZE);
          return frame;
        });
        const seen: { header: number[]; body: number[] }[] = [];
        const splitter = new FrameSplitter(yamuxLayout(1024), (header, body) => seen.push({ header: [...header], body: [...body] }));
        for (const chunk of cutAt(joinBytes(...encoded), offsets)) splitter.push(chunk);
        expect(seen).toEqual(encoded.map((f) => ({ header: [...f.subarray(0, 12)], body: [...f.subarray(12)] })));
        expect(splitter.pending).toBe(0);
      }),
      fuzzParams(),
    );
  });
});
