import {
  CloseReason,
  PacketType,
  StreamType,
  closeReasonName,
  dataPacketInPlace,
  decodePacket,
  encodeClose,
  encodeConnect,
  encodeContinue,
  encodeData,
  encodeInfo,
  encodePacket,
  type ExtensionPacket,
  type Packet,
} from '../../lib/wisp/packet/index';
import { WispError, type WispErrorCode } from '../../lib/errors';

const samples: Packet[] = [
  { type: PacketType.Connect, streamId: 1, streamType: StreamType.Tcp, port: 443, hostname: 'example.com' },
  { type: PacketType.Connect, streamId: 7, streamType: StreamType.Udp, port: 53, hostname: 'dns.test' },
  { type: PacketType.Data, streamId: 0xffffffff, payload: new Uint8Array([1, 2, 3]) },
  { type: PacketType.Continue, streamId: 0, bufferRemaining: 128 },
  { type: PacketType.Close, streamId: 3, reason: CloseReason.Voluntary },
  { type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [{ id: 4, metadata: new TextEncoder().encode('hi') }] },
];

/** `hex('03 00 ff')` → bytes; whitespace is ignored. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (digits.length % 2 !== 0) throw new Error(`odd hex string: ${text}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes as a plain array so that a mismatch prints readably and compares element by element. */
const arr = (bytes: Uint8Array): number[] => Array.from(bytes);

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Runs `fn`, expecting a WispError with exactly `code`. */
function expectWispError(fn: () => unknown, code: WispErrorCode): WispError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(WispError);
  expect((thrown as WispError).code).toBe(code);
  return thrown as WispError;
}

/** Places `packet` at `offset` inside a larger ArrayBuffer, surrounded by junk bytes. */
function embed(packet: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(offset + packet.length + 3).fill(0xee);
  backing.set(packet, offset);
  return backing.subarray(offset, offset + packet.length);
}

describe('packet codec', () => {
  it.each(samples.map((p) => [p.type, p] as const))('round-trips packet type %i', (_type, packet) => {
    expect(decodePacket(encodePacket(packet))).toEqual(packet);
  });

  it('rejects a packet shorter than its header', () => {
    expect(() => decodePacket(new Uint8Array([2, 0, 0]))).toThrow(WispError);
  });

  describe('round trips with edge values', () => {
    const roundTrip = (packet: Packet, extensionTypes?: ReadonlySet<number>): void => {
      const decoded = decodePacket(encodePacket(packet), extensionTypes);
      expect(decoded).toEqual(packet);
    };

    it.each([0, 1, 0x7fffffff, 0x80000000, 0xffffffff])('stream id %i survives every packet type', (streamId) => {
      roundTrip({ type: PacketType.Connect, streamId, streamType: StreamType.Tcp, port: 80, hostname: 'h' });
      roundTrip({ type: PacketType.Data, streamId, payload: new Uint8Array([9]) });
      roundTrip({ type: PacketType.Continue, streamId, bufferRemaining: 1 });
      roundTrip({ type: PacketType.Close, streamId, reason: CloseReason.Voluntary });
      roundTrip({ type: PacketType.Info, streamId, major: 2, minor: 0, extensions: [] });
      roundTrip({ type: 0xf0, streamId, payload: new Uint8Array([1]), extension: true }, new Set([0xf0]));
    });

    it.each([0, 1, 255, 256, 443, 0x8000, 65535])('CONNECT port %i', (port) => {
      roundTrip({ type: PacketType.Connect, streamId: 1, streamType: StreamType.Tcp, port, hostname: 'example.com' });
      roundTrip({ type: PacketType.Connect, streamId: 1, streamType: StreamType.Udp, port, hostname: 'example.com' });
    });

    it.each([
      ['empty', ''],
      ['ASCII', 'example.com'],
      ['IPv6 literal', '::1'],
      ['2-byte UTF-8', 'bücher.de'],
      ['3-byte UTF-8', '例え.テスト'],
      ['4-byte UTF-8 (astral)', '😀.example'],
      ['leading BOM (kept, not stripped)', '\ufeffhost'],
      ['NUL byte', 'a\u0000b'],
      ['long', 'a'.repeat(4096)],
    ])('CONNECT hostname: %s', (_name, hostname) => {
      roundTrip({ type: PacketType.Connect, streamId: 5, streamType: StreamType.Tcp, port: 1, hostname });
      // The hostname is encoded as UTF-8, never NUL-terminated.
      expect(encodeConnect(5, StreamType.Tcp, 1, hostname).length).toBe(5 + 3 + utf8(hostname).length);
    });

    it('empty and large DATA', () => {
      roundTrip({ type: PacketType.Data, streamId: 2, payload: new Uint8Array(0) });
      const big = new Uint8Array(70000).map((_, i) => i & 0xff);
      roundTrip({ type: PacketType.Data, streamId: 2, payload: big });
    });

    it.each([0, 1, 0x7fffffff, 0x80000000, 0xffffffff])('CONTINUE %i', (bufferRemaining) => {
      roundTrip({ type: PacketType.Continue, streamId: 0, bufferRemaining });
    });

    it.each(Object.entries(CloseReason))('CLOSE with named reason %s', (_name, reason) => {
      roundTrip({ type: PacketType.Close, streamId: 9, reason });
    });

    it.each([0x00, 0x05, 0x99, 0xff])('CLOSE with unknown reason byte %i is kept, not rejected', (reason) => {
      const decoded = decodePacket(encodeClose(9, reason));
      expect(decoded).toEqual({ type: PacketType.Close, streamId: 9, reason });
    });

    it('INFO with zero, one and several extensions (including empty metadata)', () => {
      roundTrip({ type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [] });
      roundTrip({ type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [{ id: 1, metadata: new Uint8Array(0) }] });
      roundTrip({ type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [{ id: 2, metadata: new Uint8Array([1]) }] });
      roundTrip({
        type: PacketType.Info,
        streamId: 0,
        major: 255,
        minor: 255,
        extensions: [
          { id: 0x01, metadata: new Uint8Array(0) },
          { id: 0x02, metadata: new Uint8Array([1]) },
          { id: 0x03, metadata: new Uint8Array(64).fill(0xab) },
          { id: 0x04, metadata: utf8('Welcome — 歓迎 😀') },
          { id: 0x05, metadata: new Uint8Array(0) },
          { id: 0xee, metadata: new Uint8Array([0, 0, 0, 0, 0]) }, // unknown id, looks like a record header
          { id: 0x04, metadata: new Uint8Array(0) }, // duplicate ids are preserved in order
        ],
      });
    });
  });

  describe('byte-exact encodings (little-endian)', () => {
    const cases: [string, Packet, string][] = [
      [
        'CONNECT TCP',
        { type: PacketType.Connect, streamId: 1, streamType: StreamType.Tcp, port: 443, hostname: 'example.com' },
        '01 01000000 01 bb01 6578616d706c652e636f6d',
      ],
      [
        'CONNECT UDP, multi-byte hostname',
        { type: PacketType.Connect, streamId: 0x12345678, streamType: StreamType.Udp, port: 53, hostname: 'é.😀' },
        '01 78563412 02 3500 c3a9 2e f09f9880',
      ],
      [
        'CONNECT empty hostname, port 65535',
        { type: PacketType.Connect, streamId: 0xffffffff, streamType: StreamType.Tcp, port: 65535, hostname: '' },
        '01 ffffffff 01 ffff',
      ],
      ['DATA', { type: PacketType.Data, streamId: 0x01020304, payload: hex('deadbeef') }, '02 04030201 deadbeef'],
      ['DATA empty', { type: PacketType.Data, streamId: 0, payload: new Uint8Array(0) }, '02 00000000'],
      ['CONTINUE(0, 128)', { type: PacketType.Continue, streamId: 0, bufferRemaining: 128 }, '03 00 00 00 00 80 00 00 00'],
      [
        'CONTINUE max',
        { type: PacketType.Continue, streamId: 0xa1b2c3d4, bufferRemaining: 0xffffffff },
        '03 d4c3b2a1 ffffffff',
      ],
      ['CONTINUE 0x01020304', { type: PacketType.Continue, streamId: 2, bufferRemaining: 0x01020304 }, '03 02000000 04030201'],
      ['CLOSE HostBlocked', { type: PacketType.Close, streamId: 3, reason: CloseReason.HostBlocked }, '04 03000000 48'],
      ['CLOSE unknown reason', { type: PacketType.Close, streamId: 256, reason: 0x99 }, '04 00010000 99'],
      ['INFO no extensions', { type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [] }, '05 00000000 02 00'],
      [
        'INFO two extensions',
        {
          type: PacketType.Info,
          streamId: 0,
          major: 2,
          minor: 1,
          extensions: [
            { id: 0x01, metadata: new Uint8Array(0) },
            { id: 0x04, metadata: utf8('hi') },
          ],
        },
        '05 00000000 02 01  01 00000000  04 02000000 6869',
      ],
      [
        'INFO with 256-byte metadata (length needs two bytes)',
        { type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [{ id: 0x03, metadata: new Uint8Array(256).fill(7) }] },
        '05 00000000 02 00 03 00010000' + '07'.repeat(256),
      ],
    ];

    it.each(cases)('%s encodes to the expected bytes and decodes back', (_name, packet, bytes) => {
      expect(arr(encodePacket(packet))).toEqual(arr(hex(bytes)));
      expect(decodePacket(hex(bytes))).toEqual(packet);
    });

    it('extension packet', () => {
      const packet: ExtensionPacket = { type: 0xf0, streamId: 0x0100, payload: hex('aabb'), extension: true };
      expect(arr(encodePacket(packet))).toEqual(arr(hex('f0 00010000 aabb')));
      expect(decodePacket(hex('f0 00010000 aabb'), new Set([0xf0]))).toEqual(packet);
    });

    it('the per-type encoders agree with encodePacket', () => {
      expect(arr(encodeConnect(1, StreamType.Tcp, 443, 'example.com'))).toEqual(arr(hex('01 01000000 01 bb01 6578616d706c652e636f6d')));
      expect(arr(encodeData(0x01020304, hex('deadbeef')))).toEqual(arr(hex('02 04030201 deadbeef')));
      expect(arr(encodeContinue(0, 128))).toEqual(arr(hex('03 00000000 80000000')));
      expect(arr(encodeClose(3, 0x48))).toEqual(arr(hex('04 03000000 48')));
      expect(arr(encodeInfo(0, 2, 0, [{ id: 5, metadata: new Uint8Array(0) }]))).toEqual(arr(hex('05 00000000 02 00 05 00000000')));
    });

    it('decodes from a view that does not start at offset 0 of its buffer', () => {
      for (const [, packet, bytes] of cases) {
        expect(decodePacket(embed(hex(bytes), 11))).toEqual(packet);
      }
    });
  });

  describe('payloads are views, not copies', () => {
    it('DATA payload shares the input ArrayBuffer at the right offset', () => {
      const input = embed(hex('02 07000000 0102030405'), 13);
      const packet = decodePacket(input);
      if (packet.type !== PacketType.Data) throw new Error('expected DATA');
      expect(packet.payload.buffer).toBe(input.buffer);
      expect(packet.payload.byteOffset).toBe(input.byteOffset + 5);
      expect(packet.payload.length).toBe(5);
      // Writing through the input is visible through the payload: it really is a view.
      input[5] = 0x42;
      expect(packet.payload[0]).toBe(0x42);
    });

    it('INFO extension metadata shares the input ArrayBuffer at the right offsets', () => {
      const input = embed(hex('05 00000000 02 00  01 00000000  04 03000000 616263  03 01000000 ff'), 3);
      const packet = decodePacket(input);
      // `type` alone does not narrow away ExtensionPacket (its type is `number`).
      if ('extension' in packet || packet.type !== PacketType.Info) throw new Error('expected INFO');
      expect(packet.extensions.map((e) => e.id)).toEqual([1, 4, 3]);
      const [empty, motd, key] = packet.extensions;
      for (const ext of packet.extensions) expect(ext.metadata.buffer).toBe(input.buffer);
      expect(empty.metadata.byteOffset).toBe(input.byteOffset + 12);
      expect(empty.metadata.length).toBe(0);
      expect(motd.metadata.byteOffset).toBe(input.byteOffset + 17);
      expect(arr(motd.metadata)).toEqual(arr(utf8('abc')));
      expect(key.metadata.byteOffset).toBe(input.byteOffset + 25);
      expect(arr(key.metadata)).toEqual([0xff]);
    });

    it('extension packet payload shares the input ArrayBuffer', () => {
      const input = embed(hex('f0 01000000 aabbcc'), 2);
      const packet = decodePacket(input, new Set([0xf0]));
      if (!('extension' in packet)) throw new Error('expected an extension packet');
      expect(packet.payload.buffer).toBe(input.buffer);
      expect(packet.payload.byteOffset).toBe(input.byteOffset + 5);
    });
  });

  describe('malformed input gives the right error code', () => {
    it.each([
      ['empty', ''],
      ['1 byte', '02'],
      ['3 bytes', '02 0000'],
      ['4 bytes', '02 000000'],
    ])('header too short: %s', (_name, bytes) => {
      expectWispError(() => decodePacket(hex(bytes)), 'PacketTooShort');
    });

    it.each([0x00, 0x06, 0x7f, 0xf0, 0xff])('unknown packet type %i', (type) => {
      const bytes = new Uint8Array([type, 1, 0, 0, 0, 0, 0, 0, 0]);
      expectWispError(() => decodePacket(bytes), 'InvalidPacketType');
      expectWispError(() => decodePacket(bytes, new Set()), 'InvalidPacketType');
      expectWispError(() => decodePacket(bytes, new Set([(type + 1) & 0xff])), 'InvalidPacketType');
    });

    it.each([0x00, 0x03, 0xff])('CONNECT with stream type %i', (streamType) => {
      expectWispError(() => decodePacket(new Uint8Array([1, 1, 0, 0, 0, streamType, 80, 0, 0x61])), 'InvalidStreamType');
    });

    it.each([
      ['lone continuation byte', '80'],
      ['0xff', '61 ff 62'],
      ['truncated 2-byte sequence', '61 c3'],
      ['truncated 4-byte sequence', 'f0 9f 98'],
      ['overlong NUL', 'c0 80'],
      ['overlong slash', 'e0 80 af'],
      ['UTF-16 surrogate', 'ed a0 80'],
      ['above U+10FFFF', 'f4 90 80 80'],
    ])('CONNECT with invalid UTF-8 hostname: %s', (_name, host) => {
      expectWispError(() => decodePacket(hex(`01 01000000 01 5000 ${host}`)), 'InvalidUtf8');
    });

    it.each([
      ['no payload', '01 01000000'],
      ['stream type only', '01 01000000 01'],
      ['half a port', '01 01000000 01 50'],
    ])('CONNECT shorter than 3 payload bytes: %s', (_name, bytes) => {
      expectWispError(() => decodePacket(hex(bytes)), 'PacketTooShort');
    });

    it.each([0, 1, 2, 3])('CONTINUE with %i payload bytes is too short', (n) => {
      expectWispError(() => decodePacket(new Uint8Array(5 + n).fill(3, 0, 1)), 'PacketTooShort');
    });

    it.each([5, 8, 100])('CONTINUE with %i payload bytes is too long', (n) => {
      expectWispError(() => decodePacket(new Uint8Array(5 + n).fill(3, 0, 1)), 'TrailingBytes');
    });

    it('CLOSE with no reason byte is too short', () => {
      expectWispError(() => decodePacket(hex('04 01000000')), 'PacketTooShort');
    });

    it.each([2, 5])('CLOSE with %i payload bytes is too long', (n) => {
      expectWispError(() => decodePacket(new Uint8Array(5 + n).fill(4, 0, 1)), 'TrailingBytes');
    });

    it.each([
      ['no version', '05 00000000'],
      ['major only', '05 00000000 02'],
    ])('INFO without a full version: %s', (_name, bytes) => {
      expectWispError(() => decodePacket(hex(bytes)), 'PacketTooShort');
    });

    it.each([
      ['1 stray byte', '05 00000000 02 00 01'],
      ['4 stray bytes', '05 00000000 02 00 01 000000'],
      ['stray bytes after a valid record', '05 00000000 02 00 01 00000000 04 01'],
    ])('INFO with a truncated extension record header: %s', (_name, bytes) => {
      expectWispError(() => decodePacket(hex(bytes)), 'TrailingBytes');
    });

    it.each([
      ['length 1, nothing follows', '05 00000000 02 00 04 01000000'],
      ['length 3, 2 bytes follow', '05 00000000 02 00 04 03000000 6869'],
      ['length 0xffffffff', '05 00000000 02 00 04 ffffffff 6869'],
      ['second record overruns', '05 00000000 02 00 01 00000000 04 05000000 68'],
    ])('INFO with an extension length past the end: %s', (_name, bytes) => {
      expectWispError(() => decodePacket(hex(bytes)), 'PacketTooShort');
    });
  });

  describe('extension packet types', () => {
    it('a non-core type decodes only when listed in extensionTypes', () => {
      const bytes = hex('f0 02000000 010203');
      expectWispError(() => decodePacket(bytes), 'InvalidPacketType');
      const packet = decodePacket(bytes, new Set([0x10, 0xf0]));
      expect(packet).toEqual({ type: 0xf0, streamId: 2, payload: hex('010203'), extension: true });
      expect(arr(encodePacket(packet))).toEqual(arr(bytes));
    });

    it.each([0x00, 0x06, 0xff])('type %i round-trips, including an empty payload', (type) => {
      const types = new Set([type]);
      for (const payload of [new Uint8Array(0), hex('00'), new Uint8Array(300).fill(1)]) {
        const packet: ExtensionPacket = { type, streamId: 0xfffffffe, payload, extension: true };
        expect(decodePacket(encodePacket(packet), types)).toEqual(packet);
      }
    });

    it('core types are never turned into extension packets', () => {
      const core = new Set([1, 2, 3, 4, 5]);
      expect(decodePacket(hex('02 01000000 aa'), core)).toEqual({ type: PacketType.Data, streamId: 1, payload: hex('aa') });
      expect(decodePacket(hex('04 01000000 02'), core)).toEqual({ type: PacketType.Close, streamId: 1, reason: 2 });
      // ...and core validation still applies.
      expectWispError(() => decodePacket(hex('03 01000000 00'), core), 'PacketTooShort');
    });
  });

  describe('dataPacketInPlace', () => {
    it.each([5, 6, 64])('with %i bytes of headroom writes the header in place', (headroom) => {
      const backing = new ArrayBuffer(headroom + 4 + 2);
      const payload = new Uint8Array(backing, headroom, 4);
      payload.set([0xde, 0xad, 0xbe, 0xef]);
      const packet = dataPacketInPlace(0x01020304, payload);
      expect(packet).toBeDefined();
      expect(packet!.buffer).toBe(backing);
      expect(packet!.byteOffset).toBe(headroom - 5);
      expect(packet!.length).toBe(9);
      expect(arr(packet!)).toEqual(arr(hex('02 04030201 deadbeef')));
      expect(arr(payload)).toEqual(arr(hex('deadbeef')));
      const decoded = decodePacket(packet!);
      expect(decoded).toEqual({ type: PacketType.Data, streamId: 0x01020304, payload });
      if (decoded.type !== PacketType.Data) throw new Error('expected DATA');
      expect(decoded.payload.buffer).toBe(backing);
      expect(decoded.payload.byteOffset).toBe(headroom);
    });

    it('works for an empty payload', () => {
      const backing = new ArrayBuffer(5);
      const packet = dataPacketInPlace(1, new Uint8Array(backing, 5, 0));
      expect(packet!.buffer).toBe(backing);
      expect(decodePacket(packet!)).toEqual({ type: PacketType.Data, streamId: 1, payload: new Uint8Array(0) });
    });

    it.each([0, 1, 4])('with only %i bytes of headroom returns undefined and writes nothing', (headroom) => {
      const backing = new Uint8Array(headroom + 3).fill(0x77);
      const payload = backing.subarray(headroom);
      expect(dataPacketInPlace(1, payload)).toBeUndefined();
      expect(arr(backing)).toEqual(new Array(headroom + 3).fill(0x77));
    });
  });

  describe('encodeConnect argument checks', () => {
    it.each([-1, 65536, 1e6, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects port %s with InvalidArgument', (port) => {
      expectWispError(() => encodeConnect(1, StreamType.Tcp, port, 'example.com'), 'InvalidArgument');
    });

    it.each([0, 65535])('accepts port %i', (port) => {
      expect(() => encodeConnect(1, StreamType.Tcp, port, 'example.com')).not.toThrow();
    });
  });

  describe('closeReasonName', () => {
    it.each(Object.entries(CloseReason))('names %s', (name, reason) => {
      expect(closeReasonName(reason)).toBe(`${name} (0x${reason.toString(16).padStart(2, '0')})`);
    });

    it('spells out a few by hand', () => {
      expect(closeReasonName(0x01)).toBe('Unknown (0x01)');
      expect(closeReasonName(0x48)).toBe('HostBlocked (0x48)');
      expect(closeReasonName(0xc2)).toBe('AuthRequired (0xc2)');
    });

    it.each([
      [0x00, 'unrecognised (0x00)'],
      [0x05, 'unrecognised (0x05)'],
      [0x99, 'unrecognised (0x99)'],
      [0xff, 'unrecognised (0xff)'],
    ])('prints unknown byte %i as hex', (reason, text) => {
      expect(closeReasonName(reason)).toBe(text);
    });
  });
});
