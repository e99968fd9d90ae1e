import { CloseReason, PacketType, StreamType, decodePacket, encodePacket, type Packet } from '../../lib/packet/index';
import { WispError } from '../../lib/errors';

const samples: Packet[] = [
  { type: PacketType.Connect, streamId: 1, streamType: StreamType.Tcp, port: 443, hostname: 'example.com' },
  { type: PacketType.Connect, streamId: 7, streamType: StreamType.Udp, port: 53, hostname: 'dns.test' },
  { type: PacketType.Data, streamId: 0xffffffff, payload: new Uint8Array([1, 2, 3]) },
  { type: PacketType.Continue, streamId: 0, bufferRemaining: 128 },
  { type: PacketType.Close, streamId: 3, reason: CloseReason.Voluntary },
  { type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [{ id: 4, metadata: new TextEncoder().encode('hi') }] },
];

describe('packet codec', () => {
  it.each(samples.map((p) => [p.type, p] as const))('round-trips packet type %i', (_type, packet) => {
    expect(decodePacket(encodePacket(packet))).toEqual(packet);
  });

  it('rejects a packet shorter than its header', () => {
    expect(() => decodePacket(new Uint8Array([2, 0, 0]))).toThrow(WispError);
  });
});
