/**
 * The smux codec against the byte examples in smux-notes.md §1 (checked there against Go)
 * and the validation rules of §10.
 */
import {
  SMUX_HEADER_SIZE,
  SmuxCmd,
  checkHeader,
  cmdName,
  decodeHeader,
  decodeUpdate,
  encodeFrame,
  encodeHeader,
  encodeUpdFrame,
  parseHeader,
  smuxLayout,
} from '../../lib/smux/frame';
import { WispError } from '../../lib/errors';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { thrownBy } from '../matchers';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('smux frames: the notes’ examples', () => {
  it('v1 SYN sid 3', () => {
    expect(hex(encodeFrame(1, SmuxCmd.Syn, 3))).toBe('0100000003000000');
  });

  it('v1 PSH sid 3 "hi": length (LE) comes before the id', () => {
    expect(hex(encodeFrame(1, SmuxCmd.Psh, 3, new TextEncoder().encode('hi')))).toBe('010202000300000068' + '69');
  });

  it('NOP as Go sends it (sid 0)', () => {
    expect(hex(encodeFrame(1, SmuxCmd.Nop, 0))).toBe('0103000000000000');
  });

  it('v2 UPD sid 3, consumed 65536, window 65536', () => {
    const frame = encodeUpdFrame(3, 65536, 65536);
    expect(hex(frame)).toBe('0204080003000000' + '00000100' + '00000100');
    expect(decodeHeader(frame, 0)).toEqual({ version: 2, cmd: SmuxCmd.Upd, length: 8, streamId: 3 });
    expect(decodeUpdate(frame, SMUX_HEADER_SIZE)).toEqual({ consumed: 65536, window: 65536 });
  });

  it('multi-byte fields are little-endian all the way up', () => {
    const frame = new Uint8Array(8);
    encodeHeader(frame, 0, 2, SmuxCmd.Psh, 0xfedc, 0x89abcdef);
    expect(hex(frame)).toBe('0202dcfe' + 'efcdab89');
    expect(decodeHeader(frame)).toEqual({ version: 2, cmd: 2, length: 0xfedc, streamId: 0x89abcdef });
  });

  it('UPD counters wrap mod 2^32 (Go’s are uint32)', () => {
    expect(decodeUpdate(encodeUpdFrame(1, 2 ** 32 + 5, 0xffffffff), 8)).toEqual({ consumed: 5, window: 0xffffffff });
  });

  it('encodeHeader writes in front of a payload already in the buffer, at an offset', () => {
    const buf = new Uint8Array(4 + 8 + 3);
    buf.set([7, 8, 9], 12);
    encodeHeader(buf, 4, 1, SmuxCmd.Psh, 3, 5);
    expect(hex(buf.subarray(4))).toBe('0102030005000000070809');
    expect(hex(buf.subarray(0, 4))).toBe('00000000');
  });
});

describe('smux encoders refuse values out of range', () => {
  it.each([
    ['a 65536-byte payload', () => encodeFrame(1, SmuxCmd.Psh, 1, new Uint8Array(65536))],
    ['a negative id', () => encodeFrame(1, SmuxCmd.Syn, -1)],
    ['an id over 2^32-1', () => encodeFrame(1, SmuxCmd.Syn, 2 ** 32)],
    ['a fractional id', () => encodeFrame(1, SmuxCmd.Syn, 1.5)],
  ])('%s', (_name, fn) => {
    expect(thrownBy(fn)).toMatchObject({ code: 'InvalidArgument' });
  });

  it('a 65535-byte payload is fine (what every Go version accepts)', () => {
    expect(encodeFrame(1, SmuxCmd.Psh, 1, new Uint8Array(65535)).length).toBe(65543);
  });
});

describe('smux validation', () => {
  const header = (version: number, cmd: number, length = 0, streamId = 3) => ({ version, cmd, length, streamId });

  it('accepts every command of its version, PSH of any length, any stream id', () => {
    for (const version of [1, 2] as const) {
      for (const cmd of [SmuxCmd.Syn, SmuxCmd.Fin, SmuxCmd.Nop]) expect(checkHeader(header(version, cmd), version)).toBeUndefined();
      for (const length of [0, 1, 65535]) expect(checkHeader(header(version, SmuxCmd.Psh, length, 0), version)).toBeUndefined();
    }
    expect(checkHeader(header(2, SmuxCmd.Upd, 8), 2)).toBeUndefined();
    expect(checkHeader(header(1, SmuxCmd.Syn, 0, 4), 1)).toBeUndefined(); // an even id from a client: Go accepts it
  });

  it.each([
    ['a v2 frame in a v1 session', header(2, SmuxCmd.Psh), 1, 'InvalidVersion'],
    ['a v1 frame in a v2 session', header(1, SmuxCmd.Nop), 2, 'InvalidVersion'],
    ['version 0', header(0, SmuxCmd.Nop), 1, 'InvalidVersion'],
    ['an unknown command', header(1, 5), 1, 'InvalidFrame'],
    ['UPD in v1', header(1, SmuxCmd.Upd, 8), 1, 'InvalidFrame'],
    ['UPD of length 4', header(2, SmuxCmd.Upd, 4), 2, 'InvalidFrame'],
    ['FIN with a payload', header(1, SmuxCmd.Fin, 1), 1, 'InvalidFrame'],
    ['NOP with a payload', header(2, SmuxCmd.Nop, 2), 2, 'InvalidFrame'],
    ['SYN with a payload', header(1, SmuxCmd.Syn, 3), 1, 'InvalidFrame'],
  ] as const)('rejects %s', (_name, h, version, code) => {
    const error = checkHeader(h, version);
    expect(error).toBeInstanceOf(WispError);
    expect(error).toMatchObject({ code });
  });

  it('parseHeader returns the error instead of throwing, short input included', () => {
    expect(parseHeader(bytesOf('0200000003000000'), 0, 1)).toMatchObject({ code: 'InvalidVersion' });
    expect(parseHeader(bytesOf('01000000030000'), 0, 1)).toMatchObject({ code: 'PacketTooShort' });
    expect(parseHeader(bytesOf('ff 0100000003000000'), 1, 1)).toEqual({ version: 1, cmd: 0, length: 0, streamId: 3 });
  });

  it('decodeHeader and decodeUpdate throw PacketTooShort on short input', () => {
    expect(thrownBy(() => decodeHeader(new Uint8Array(7)))).toMatchObject({ code: 'PacketTooShort' });
    expect(thrownBy(() => decodeHeader(new Uint8Array(8), 1))).toMatchObject({ code: 'PacketTooShort' });
    expect(thrownBy(() => decodeUpdate(new Uint8Array(12), 5))).toMatchObject({ code: 'PacketTooShort' });
  });

  it('names commands', () => {
    expect([0, 1, 2, 3, 4, 9].map(cmdName)).toEqual(['SYN', 'FIN', 'PSH', 'NOP', 'UPD', 'cmd 9']);
  });
});

describe('smuxLayout', () => {
  it('cuts frames by the length field, whatever the command, and keeps a FIN-with-payload in step', () => {
    const stream = bytesOf('0100000003000000' + '0102020003000000' + '6869' + '0101010003000000' + 'aa' + '0103000000000000');
    const frames: string[] = [];
    new FrameSplitter(smuxLayout(), (h, body) => frames.push(`${cmdName(h[1])}:${hex(body)}`)).push(stream);
    expect(frames).toEqual(['SYN:', 'PSH:6869', 'FIN:aa', 'NOP:']);
  });

  it('refuses a body over maxBody before buffering it', () => {
    const splitter = new FrameSplitter(smuxLayout(100), () => undefined);
    expect(thrownBy(() => splitter.push(bytesOf('0102650003000000')))).toMatchObject({ code: 'PacketTooLarge' });
  });
});
