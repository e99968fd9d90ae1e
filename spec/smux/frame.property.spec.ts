/**
 * Property tests for the smux codec. `npm test` runs them at FUZZ_RUNS=2000 (the default
 * below); `npm run fuzz` raises that to 100000. Reproduce a failure with FUZZ_SEED=<seed>.
 */
import fc from 'fast-check';
import {
  SMUX_HEADER_SIZE,
  SmuxCmd,
  checkHeader,
  decodeHeader,
  decodeUpdate,
  encodeFrame,
  encodeHeader,
  encodeUpdFrame,
  parseHeader,
  smuxLayout,
  type SmuxVersion,
} from '../../lib/smux/frame';
import { WispError } from '../../lib/errors';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { joinBytes } from '../../lib/join-bytes';
import { cutAt, fuzzParams } from '../support/fuzz';


const u32 = fc.integer({ min: 0, max: 0xffffffff });
const version = fc.constantFrom<SmuxVersion>(1, 2);

describe('smux codec properties', () => {
  it('SYN, FIN, NOP and PSH round-trip through encodeFrame and decodeHeader, and pass checkHeader', () => {
    fc.assert(
      fc.property(version, fc.constantFrom(SmuxCmd.Syn, SmuxCmd.Fin, SmuxCmd.Nop, SmuxCmd.Psh), u32, fc.uint8Array({ maxLength: 300 }), (v, cmd, streamId, data) => {
        const payload = cmd === SmuxCmd.Psh ? data : undefined;
        const frame = encodeFrame(v, cmd, streamId, payload);
        const header = decodeHeader(frame);
        expect(header).toEqual({ version: v, cmd, length: payload?.length ?? 0, streamId });
        expect(checkHeader(header, v)).toBeUndefined();
        expect(frame.subarray(SMUX_HEADER_SIZE)).toEqual(payload ?? new Uint8Array(0));
      }),
      fuzzParams(),
    );
  });

  it('every header field value survives encodeHeader at any offset (length up to 65535)', () => {
    fc.assert(
      fc.property(version, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffff }), u32, fc.nat({ max: 16 }), (v, cmd, length, streamId, at) => {
        const buf = new Uint8Array(at + SMUX_HEADER_SIZE);
        encodeHeader(buf, at, v, cmd as SmuxCmd, length, streamId);
        expect(decodeHeader(buf, at)).toEqual({ version: v, cmd, length, streamId });
      }),
      fuzzParams(),
    );
  });

  it('UPD round-trips consumed and window mod 2^32', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: 2 ** 40 }), u32, (streamId, consumed, window) => {
        const frame = encodeUpdFrame(streamId, consumed, window);
        expect(parseHeader(frame, 0, 2)).toEqual({ version: 2, cmd: SmuxCmd.Upd, length: 8, streamId });
        expect(decodeUpdate(frame, SMUX_HEADER_SIZE)).toEqual({ consumed: consumed % 2 ** 32, window });
      }),
      fuzzParams(),
    );
  });

  it('any 8 bytes parse to a valid header that re-encodes to them, or to a typed error; nothing throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20 }), fc.nat({ max: 20 }), version, (bytes, at, v) => {
        const result = parseHeader(bytes, at, v);
        if (result instanceof WispError) {
          expect(['PacketTooShort', 'InvalidVersion', 'InvalidFrame']).toContain(result.code);
          expect(result.code === 'PacketTooShort').toBe(bytes.length - at < SMUX_HEADER_SIZE);
        } else {
          const again = new Uint8Array(SMUX_HEADER_SIZE);
          encodeHeader(again, 0, result.version as SmuxVersion, result.cmd as SmuxCmd, result.length, result.streamId);
          expect(again).toEqual(bytes.subarray(at, at + SMUX_HEADER_SIZE));
        }
      }),
      fuzzParams(),
    );
  });

  it('smuxLayout + FrameSplitter cut concatenated random frames back out under any chunking', () => {
    // Any header bytes (valid or not) with a body of the declared length: the splitter must
    // stay in step, since judging the frame is the session's job.
    const frameArb = fc.record({ head: fc.uint8Array({ minLength: 2, maxLength: 2 }), streamId: u32, body: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, offsets) => {
        const encoded = frames.map(({ head, streamId, body }) => {
          const frame = new Uint8Array(SMUX_HEADER_SIZE + body.length);
          encodeHeader(frame, 0, 1, SmuxCmd.Psh, body.length, streamId);
          frame.set(head, 0);
          frame.set(body, SMUX_HEADER_SIZE);
          return frame;
        });
        const seen: { header: number[]; body: number[] }[] = [];
        const splitter = new FrameSplitter(smuxLayout(), (header, body) => seen.push({ header: [...header], body: [...body] }));
        for (const chunk of cutAt(joinBytes(...encoded), offsets)) splitter.push(chunk);
        expect(seen).toEqual(encoded.map((f) => ({ header: [...f.subarray(0, 8)], body: [...f.subarray(8)] })));
        expect(splitter.pending).toBe(0);
      }),
      fuzzParams(),
    );
  });
});
