/**
 * Property tests for the packet codec. `npm test` runs them at FUZZ_RUNS=2000 (the
 * default below); `npm run fuzz` (jest.fuzz.config.js) raises that to 100000.
 * Reproduce a failure with FUZZ_SEED=<seed printed by fast-check>.
 */
import fc from 'fast-check';
import {
  PacketType,
  StreamType,
  decodePacket,
  decodeSplitPacket,
  encodePacket,
  type ConnectPacket,
  type ContinuePacket,
  type ClosePacket,
  type DataPacket,
  type ExtensionPacket,
  type InfoPacket,
  type Packet,
} from '../../lib/wisp/packet/index';
import { WispError } from '../../lib/errors';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const params = (): fc.Parameters<unknown> => (SEED === undefined ? { numRuns: RUNS } : { numRuns: RUNS, seed: SEED });

const CORE_TYPES: readonly number[] = Object.values(PacketType);
/** Every type byte that is not a core type: what a peer with many extensions might accept. */
const EXTENSION_TYPES: ReadonlySet<number> = new Set(Array.from({ length: 256 }, (_, i) => i).filter((t) => !CORE_TYPES.includes(t)));

// ---------------------------------------------------------------------------------------
// Arbitraries for valid packets
// ---------------------------------------------------------------------------------------

const u8 = fc.integer({ min: 0, max: 0xff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Hostnames: realistic ones plus any well-formed Unicode (lone surrogates cannot be UTF-8). */
const hostname: fc.Arbitrary<string> = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const connectArb: fc.Arbitrary<ConnectPacket> = fc.record({
  type: fc.constant(PacketType.Connect),
  streamId: u32,
  streamType: fc.constantFrom(StreamType.Tcp, StreamType.Udp),
  port: fc.integer({ min: 0, max: 0xffff }),
  hostname,
});

const dataArb: fc.Arbitrary<DataPacket> = fc.record({
  type: fc.constant(PacketType.Data),
  streamId: u32,
  payload: bytes(300),
});

const continueArb: fc.Arbitrary<ContinuePacket> = fc.record({
  type: fc.constant(PacketType.Continue),
  streamId: u32,
  bufferRemaining: u32,
});

const closeArb: fc.Arbitrary<ClosePacket> = fc.record({
  type: fc.constant(PacketType.Close),
  streamId: u32,
  reason: u8, // named and unknown reasons alike
});

const infoArb: fc.Arbitrary<InfoPacket> = fc.record({
  type: fc.constant(PacketType.Info),
  streamId: u32,
  major: u8,
  minor: u8,
  extensions: fc.array(fc.record({ id: u8, metadata: bytes(40) }), { maxLength: 6 }),
});

const extensionArb: fc.Arbitrary<ExtensionPacket> = fc.record({
  type: fc.constantFrom(...EXTENSION_TYPES),
  streamId: u32,
  payload: bytes(100),
  extension: fc.constant(true as const),
});

const packetArb: fc.Arbitrary<Packet> = fc.oneof(connectArb, dataArb, continueArb, closeArb, infoArb, extensionArb);

// ---------------------------------------------------------------------------------------
// Arbitraries for wire bytes (mostly malformed, often nearly valid)
// ---------------------------------------------------------------------------------------

/** Pure noise. */
const rawBytes = fc.uint8Array({ maxLength: 300 });

/** A plausible type byte followed by noise: reaches every per-type branch. */
const typedBytes = fc
  .tuple(fc.oneof(fc.constantFrom(...CORE_TYPES), u8), fc.uint8Array({ maxLength: 300 }))
  .map(([type, rest]) => Uint8Array.of(type, ...rest));

/** A valid encoding, then possibly truncated, extended or with one byte changed. */
const mutatedBytes = fc
  .tuple(
    packetArb,
    fc.constantFrom('none', 'truncate', 'append', 'set'),
    fc.nat(),
    u8,
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
  )
  .map(([packet, kind, index, value, extra]) => {
    const encoded = encodePacket(packet);
    switch (kind) {
      case 'truncate':
        return encoded.slice(0, index % (encoded.length + 1));
      case 'append':
        return Uint8Array.of(...encoded, ...extra);
      case 'set': {
        const copy = encoded.slice();
        copy[index % copy.length] = value;
        return copy;
      }
      default:
        return encoded;
    }
  });

const wireBytes = fc.oneof(rawBytes, typedBytes, mutatedBytes);

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Independent reference encoder (DataView, little-endian) to pin the wire layout. */
function referenceEncode(p: Packet): Uint8Array {
  const enc = new TextEncoder();
  const body: number[] = [];
  const u32le = (v: number): void => {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, v, true);
    body.push(...new Uint8Array(dv.buffer));
  };
  if ('extension' in p) {
    body.push(...p.payload);
  } else {
    switch (p.type) {
      case PacketType.Connect:
        body.push(p.streamType, p.port & 0xff, p.port >> 8, ...enc.encode(p.hostname));
        break;
      case PacketType.Data:
        body.push(...p.payload);
        break;
      case PacketType.Continue:
        u32le(p.bufferRemaining);
        break;
      case PacketType.Close:
        body.push(p.reason);
        break;
      case PacketType.Info:
        body.push(p.major, p.minor);
        for (const ext of p.extensions) {
          body.push(ext.id);
          u32le(ext.metadata.length);
          body.push(...ext.metadata);
        }
        break;
    }
  }
  const out = new Uint8Array(5 + body.length);
  out[0] = p.type;
  new DataView(out.buffer).setUint32(1, p.streamId, true);
  out.set(body, 5);
  return out;
}

/** decodePacket, returning the WispError instead of throwing it; any other throw escapes. */
function tryDecode(b: Uint8Array, extensionTypes?: ReadonlySet<number>): Packet | WispError {
  try {
    return decodePacket(b, extensionTypes);
  } catch (err) {
    if (err instanceof WispError) return err;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

describe(`packet codec properties (${RUNS} runs each)`, () => {
  it('(a) decoding arbitrary bytes returns a packet or throws a WispError, nothing else', () => {
    const codes = new Set(['PacketTooShort', 'InvalidPacketType', 'InvalidStreamType', 'InvalidUtf8', 'TrailingBytes']);
    fc.assert(
      fc.property(fc.oneof(rawBytes, typedBytes, mutatedBytes), fc.boolean(), (b, withExtensions) => {
        const before = b.slice();
        let result: Packet;
        try {
          result = decodePacket(b, withExtensions ? EXTENSION_TYPES : undefined);
        } catch (err) {
          if (!(err instanceof WispError)) throw new Error(`non-WispError thrown for ${toHex(b)}: ${String(err)}`);
          if (!codes.has(err.code)) throw new Error(`unexpected code ${err.code} for ${toHex(b)}`);
          return;
        }
        // A decoded packet reflects the header it came from, and decoding never mutates its input.
        expect(result.type).toBe(b[0]);
        expect(result.streamId).toBe(new DataView(b.buffer, b.byteOffset, b.length).getUint32(1, true));
        expect(sameBytes(b, before)).toBe(true);
      }),
      params(),
    );
  });

  it('(b) decodePacket(encodePacket(p)) deep-equals p for every valid packet', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const encoded = encodePacket(p);
        const ref = referenceEncode(p);
        if (!sameBytes(encoded, ref)) throw new Error(`encoding ${toHex(encoded)} differs from reference ${toHex(ref)}`);
        expect(decodePacket(encoded, EXTENSION_TYPES)).toEqual(p);
      }),
      params(),
    );
  });

  it('(c) bytes that decode re-encode byte for byte (the encoding is canonical)', () => {
    let decoded = 0;
    let total = 0;
    fc.assert(
      fc.property(wireBytes, fc.boolean(), (b, withExtensions) => {
        total++;
        const result = tryDecode(b, withExtensions ? EXTENSION_TYPES : undefined);
        if (result instanceof WispError) return;
        decoded++;
        const again = encodePacket(result);
        if (!sameBytes(again, b)) throw new Error(`re-encoded ${toHex(again)} from input ${toHex(b)}`);
      }),
      params(),
    );
    // Guard against a vacuous property: all runs happened and a good share of them decoded.
    expect(total).toBeGreaterThanOrEqual(RUNS);
    expect(decoded).toBeGreaterThan(total * 0.2);
  });

  it('(d) a message split into two frames at any point decodes exactly as the whole message', () => {
    let split = 0;
    fc.assert(
      fc.property(fc.oneof(wireBytes, typedBytes, mutatedBytes), fc.oneof(fc.constant(5), fc.nat()), fc.boolean(), (b, at, withExtensions) => {
        const cut = at % (b.length + 1);
        const head = b.slice(0, cut);
        const body = b.slice(cut);
        const types = withExtensions ? EXTENSION_TYPES : undefined;
        const whole = tryDecode(b, types);
        let parts: Packet | WispError;
        try {
          parts = decodeSplitPacket(head, body, types);
        } catch (err) {
          if (!(err instanceof WispError)) throw err;
          parts = err;
        }
        if (whole instanceof WispError) {
          expect(parts).toBeInstanceOf(WispError);
          expect((parts as WispError).code).toBe(whole.code);
          return;
        }
        expect(parts).toEqual(whole);
        // The zero-copy case: a DATA header alone in the first frame, the payload is the body itself.
        if (cut === 5 && b[0] === PacketType.Data) {
          split++;
          expect((parts as DataPacket).payload).toBe(body);
        }
      }),
      params(),
    );
    expect(split).toBeGreaterThan(0);
  });
});
