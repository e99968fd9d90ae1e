/**
 * The yamux-family codec: byte layout (big-endian, 12 bytes) against frames as Go and
 * net-mux send them (yamux-notes.md §1, §5; net-mux-notes.md A1, A2), and the per-version
 * validation rules.
 */
import {
  YAMUX_HEADER_SIZE,
  YamuxFlag,
  YamuxGoAway,
  YamuxType,
  checkHeader,
  decodeHeader,
  encodeControl,
  encodeData,
  encodeGoAway,
  encodeHeader,
  encodePing,
  encodeWindowUpdate,
  parseHeader,
  typeName,
  yamuxLayout,
  type YamuxHeader,
} from '../../lib/yamux/frame';
import { HASHICORP_YAMUX, NET_MUX, yamuxVariant } from '../../lib/yamux/variants';
import { WispError } from '../../lib/errors';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { thrownBy } from '../matchers';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('yamux frames', () => {
  it('Go’s open: WindowUpdate{SYN} on stream 1 with delta 0', () => {
    expect(hex(encodeWindowUpdate(0, YamuxFlag.Syn, 1, 0))).toBe('00010001' + '00000001' + '00000000');
  });

  it('Go’s ping request Ping{SYN} opaque 0, and its reply Ping{ACK}', () => {
    expect(hex(encodePing(0, YamuxFlag.Syn, 0))).toBe('000200010000000000000000');
    expect(hex(encodePing(0, YamuxFlag.Ack, 7))).toBe('000200020000000000000007');
  });

  it('net-mux’s open: an empty Data{SYN}, version byte 1', () => {
    expect(hex(encodeData(1, YamuxFlag.Syn, 1))).toBe('01000001' + '00000001' + '00000000');
  });

  it('Data with a payload: length is the payload size; every field big-endian', () => {
    const frame = encodeData(0, YamuxFlag.Fin | YamuxFlag.Ack, 0x01020304, new Uint8Array([0xaa, 0xbb]));
    expect(hex(frame)).toBe('00000006' + '01020304' + '00000002' + 'aabb');
    expect(decodeHeader(frame)).toEqual({ version: 0, type: YamuxType.Data, flags: 6, streamId: 0x01020304, length: 2 });
  });

  it('GoAway carries its code in length, on stream 0', () => {
    expect(hex(encodeGoAway(1, YamuxGoAway.Timeout))).toBe('010300000000000000000006');
  });

  it('high values: a u32 delta, the high flag byte', () => {
    const frame = new Uint8Array(YAMUX_HEADER_SIZE);
    encodeHeader(frame, 0, 0, YamuxType.WindowUpdate, 0x8001, 0xfffffffe, 0xffffffff);
    expect(hex(frame)).toBe('00018001fffffffeffffffff');
    expect(decodeHeader(frame)).toEqual({ version: 0, type: 1, flags: 0x8001, streamId: 0xfffffffe, length: 0xffffffff });
  });

  it('encodeHeader writes in front of a payload already in the buffer, at an offset', () => {
    const buf = new Uint8Array(3 + 12 + 2);
    buf.set([1, 2], 15);
    encodeHeader(buf, 3, 0, YamuxType.Data, 0, 5, 2);
    expect(hex(buf)).toBe('000000' + '000000000000000500000002' + '0102');
  });

  it('encoders refuse out-of-range values, and a non-zero length on a header-only Data frame', () => {
    expect(thrownBy(() => encodeControl(0, YamuxType.Data, 0, 1, 5))).toMatchObject({ code: 'InvalidArgument' });
    expect(thrownBy(() => encodeWindowUpdate(0, 0x10000, 1, 0))).toMatchObject({ code: 'InvalidArgument' });
    expect(thrownBy(() => encodeWindowUpdate(0, 0, 1, 2 ** 32))).toMatchObject({ code: 'InvalidArgument' });
    expect(thrownBy(() => encodePing(0, 0, -1))).toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('yamux validation, per version byte', () => {
  const h = (fields: Partial<YamuxHeader>): YamuxHeader => ({ version: 0, type: 0, flags: 0, streamId: 1, length: 0, ...fields });

  it('each variant rejects the other’s version byte', () => {
    expect(checkHeader(h({ version: 1 }), 0)).toMatchObject({ code: 'InvalidVersion' });
    expect(checkHeader(h({ version: 0 }), 1)).toMatchObject({ code: 'InvalidVersion' });
    expect(checkHeader(h({ version: 2 }), 0)).toMatchObject({ code: 'InvalidVersion' });
  });

  it('both reject an unknown type', () => {
    expect(checkHeader(h({ type: 4 }), 0)).toMatchObject({ code: 'InvalidFrame' });
    expect(checkHeader(h({ version: 1, type: 0xff }), 1)).toMatchObject({ code: 'InvalidFrame' });
  });

  it('unknown flag bits: ignored by Go (version 0), fatal for net-mux (version 1)', () => {
    for (const flags of [0x10, 0x8000]) {
      expect(checkHeader(h({ flags }), 0)).toBeUndefined();
      expect(checkHeader(h({ version: 1, flags }), 1)).toMatchObject({ code: 'InvalidFrame' });
    }
    expect(checkHeader(h({ version: 1, flags: 0xf }), 1)).toBeUndefined();
  });

  it('Data on stream 0: Go checks no ids (a SYN there even opens stream 0); net-mux rejects it', () => {
    expect(checkHeader(h({ streamId: 0, flags: YamuxFlag.Syn }), 0)).toBeUndefined();
    expect(checkHeader(h({ version: 1, streamId: 0 }), 1)).toMatchObject({ code: 'InvalidFrame' });
    expect(checkHeader(h({ version: 1, type: YamuxType.Ping, streamId: 0 }), 1)).toBeUndefined();
  });

  it('parseHeader returns errors (short input too) instead of throwing', () => {
    expect(parseHeader(new Uint8Array(11), 0, 0)).toMatchObject({ code: 'PacketTooShort' });
    expect(parseHeader(bytesOf('ff 010300000000000000000006'), 1, 1)).toEqual({ version: 1, type: 3, flags: 0, streamId: 0, length: 6 });
    const error = parseHeader(bytesOf('000400000000000000000000'), 0, 0);
    expect(error).toBeInstanceOf(WispError);
    expect(thrownBy(() => decodeHeader(new Uint8Array(12), 1))).toMatchObject({ code: 'PacketTooShort' });
  });

  it('names types', () => {
    expect([0, 1, 2, 3, 4].map(typeName)).toEqual(['Data', 'WindowUpdate', 'Ping', 'GoAway', 'type 4']);
  });
});

describe('yamuxLayout', () => {
  it('only Data has a body: WindowUpdate, Ping and GoAway lengths are values', () => {
    const stream = bytesOf(
      '000100010000000100040000' + // WindowUpdate{SYN} delta 262144: no body
        '000000000000000100000003' + '616263' + // Data "abc"
        '00020001000000000000ffff' + // Ping opaque 65535: no body
        '00030000000000000fffffff' + // GoAway with a huge code: no body
        '000500000000000000000009', // an unknown type: no body (the session rejects it)
    );
    const frames: string[] = [];
    new FrameSplitter(yamuxLayout(1024), (header, body) => frames.push(`${typeName(header[1])}:${hex(body)}`)).push(stream);
    expect(frames).toEqual(['WindowUpdate:', 'Data:616263', 'Ping:', 'GoAway:', 'type 5:']);
  });

  it('refuses a Data body over maxBody (net-mux: 64 KiB), not a large window delta', () => {
    const bigDelta = bytesOf('0101000000000001ffffffff');
    expect(() => new FrameSplitter(yamuxLayout(65536), () => undefined).push(bigDelta)).not.toThrow();
    const bigData = bytesOf('010000000000000100010001');
    expect(thrownBy(() => new FrameSplitter(yamuxLayout(65536), () => undefined).push(bigData))).toMatchObject({ code: 'PacketTooLarge' });
  });
});

describe('yamux variants (facts from the notes)', () => {
  it('are picked by version byte', () => {
    expect(yamuxVariant(0)).toBe(HASHICORP_YAMUX);
    expect(yamuxVariant(1)).toBe(NET_MUX);
  });

  it('differ where the notes say a single codec must switch', () => {
    expect(HASHICORP_YAMUX).toMatchObject({ pingRequestFlags: YamuxFlag.Syn, answersPings: 'syn', goAwayNormal: 'no-new-opens', enforcesReceiveWindow: true, unknownFlagsFatal: false });
    expect(NET_MUX).toMatchObject({ pingRequestFlags: 0, answersPings: 'any-without-ack', goAwayNormal: 'teardown', enforcesReceiveWindow: false, unknownFlagsFatal: true, maxDataPayload: 65536 });
    expect(HASHICORP_YAMUX.initialWindow).toBe(262144);
    expect(NET_MUX.initialWindow).toBe(262144);
  });
});
