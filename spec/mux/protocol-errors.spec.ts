import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeConnect, encodeContinue, encodeData, encodeInfo } from '../../lib/wisp/packet/encode';
import { StreamType } from '../../lib/wisp/packet/types';
import { collect, echo, errorsOf, isClose, isData, rawClient, rawServer, until, virtualDelivery } from './helpers';
import { failTest } from '../observers';

const codes = (errors: { code: string }[]) => errors.map((e) => e.code);

/** A CONNECT whose hostname is not UTF-8 (0xff can never appear in UTF-8). */
function badConnect(id: number): Uint8Array {
  const packet = encodeConnect(id, StreamType.Tcp, 80, 'xx');
  packet.set([0xff, 0xfe], packet.length - 2);
  return packet;
}

describe('unexpected packets', () => {
  it('CONTINUE and INFO sent to a server are reported as UnexpectedPacket; the connection keeps working', async () => {
    const { raw, server } = await rawClient();
    const errors = errorsOf(server);
    echo(server);
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'a.test'));
    raw.send(encodeContinue(1, 100), encodeContinue(0, 100), encodeInfo(0, 2, 0, []));
    raw.send(encodeData(1, Uint8Array.of(1)));
    expect(await raw.next(isData(1))).toMatchObject({ payload: Uint8Array.of(1) });
    expect(codes(errors)).toEqual(['UnexpectedPacket', 'UnexpectedPacket', 'UnexpectedPacket']);
    expect(raw.packets.filter(isClose(1))).toEqual([]);
    await server.close();
  });

  it('CONNECT and INFO sent to a client are reported as UnexpectedPacket; the connection keeps working', async () => {
    const { raw, client } = await rawServer();
    const errors = errorsOf(client);
    const stream = await client.open('tcp', 'a.test', 80);
    const reader = collect(stream);
    raw.send(encodeConnect(7, StreamType.Tcp, 80, 'evil.test'), encodeInfo(0, 2, 0, []));
    raw.send(encodeData(stream.id, Uint8Array.of(3)));
    await until(() => reader.chunks.length === 1, 'DATA after the unexpected packets');
    expect(codes(errors)).toEqual(['UnexpectedPacket', 'UnexpectedPacket']);
    expect(client.streamCount).toBe(1);
    await stream.write(Uint8Array.of(4));
    expect(await raw.next(isData(stream.id))).toMatchObject({ payload: Uint8Array.of(4) });
    await client.close();
  });
});

describe('malformed packets', () => {
  it('are reported on the server errors$ and skipped', async () => {
    const { raw, server } = await rawClient();
    const errors = errorsOf(server);
    echo(server);
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'a.test'));
    // 3 bytes; an unknown type 0x66; a CONTINUE cut short.
    raw.send(Uint8Array.of(2, 1, 0), Uint8Array.of(0x66, 1, 0, 0, 0, 9), encodeContinue(1, 1).subarray(0, 7));
    raw.send(encodeData(1, Uint8Array.of(5)));
    expect(await raw.next(isData(1))).toMatchObject({ payload: Uint8Array.of(5) });
    expect(codes(errors)).toEqual(['PacketTooShort', 'InvalidPacketType', 'PacketTooShort']);
    expect(raw.packets.filter(isClose(1))).toEqual([]);
    await server.close();
  });

  it('are reported on the client errors$ and skipped', async () => {
    const { raw, client } = await rawServer();
    const errors = errorsOf(client);
    const stream = await client.open('tcp', 'a.test', 80);
    const reader = collect(stream);
    raw.send(Uint8Array.of(1, 2, 3), Uint8Array.of(0x66, stream.id, 0, 0, 0), encodeData(stream.id, Uint8Array.of(6)));
    await until(() => reader.chunks.length === 1, 'DATA after the malformed packets');
    expect(codes(errors)).toEqual(['PacketTooShort', 'InvalidPacketType']);
    expect(stream.closed).toBe(false);
    await client.close();
  });

  it('a CONNECT the server cannot read is refused with CLOSE(id, InvalidInfo); later CONNECTs work', async () => {
    const time = virtualDelivery();
    const { raw, server } = await rawClient({}, {}, time);
    const errors = errorsOf(server);
    const opened: string[] = [];
    server.streams$.subscribe({ next: ({ connect }) => opened.push(connect.host), error: failTest });
    echo(server);
    raw.send(badConnect(5));
    expect(await time.drive(raw.next(isClose(5)))).toMatchObject({ reason: CloseReason.InvalidInfo });
    expect(codes(errors)).toEqual(['InvalidUtf8']);
    raw.send(encodeConnect(6, StreamType.Tcp, 80, 'ok.test'), encodeData(6, Uint8Array.of(1)));
    expect(await time.drive(raw.next(isData(6)))).toMatchObject({ payload: Uint8Array.of(1) });
    await time.quiesce(); // no stream for the bad CONNECT is still on its way
    expect(opened).toEqual(['ok.test']);
    expect(server.streamCount).toBe(1);
    await time.drive(server.close());
  });
});
