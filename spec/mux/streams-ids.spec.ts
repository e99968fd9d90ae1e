import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeClose, encodeConnect, encodeData } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType } from '../../lib/wisp/packet/types';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { collect, echo, errorsOf, isClose, isData, rawClient, rawServer, until, v1Pair, virtualDelivery } from './helpers';
import { failTest } from '../observers';

/** Writes `bytes` and resolves with what comes back (for echo servers). */
async function roundTrip(stream: MuxStream, bytes: number[]): Promise<number[]> {
  const reader = collect(stream);
  const before = reader.chunks.length;
  await stream.write(Uint8Array.from(bytes));
  await until(() => reader.chunks.length > before, `an echo on stream ${stream.id}`);
  return [...reader.chunks[before]];
}

describe('stream ids', () => {
  it('start at 1, count up, and are never 0 or a live id, even after wrapping around', async () => {
    const time = virtualDelivery();
    const { client, server } = await time.drive(v1Pair({ transport: { scheduler: time.scheduler } }));
    const seen: number[] = [];
    server.streams$.subscribe({ next: ({ stream }) => seen.push(stream.id), error: failTest });
    const a = await client.open('tcp', 'a.test', 1);
    const b = await client.open('tcp', 'b.test', 2);
    const c = await client.open('udp', 'c.test', 3);
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    b.close();
    expect((await client.open('tcp', 'd.test', 4)).id).toBe(4); // a closed id is not reused at once

    // Force the counter to the top of the u32 range (test-only access to the actor's state).
    (client as unknown as { actor: { ids: { nextId: number } } }).actor.ids.nextId = 0xffffffff;
    const top = await client.open('tcp', 'e.test', 5);
    const wrapped = await client.open('tcp', 'f.test', 6);
    expect(top.id).toBe(0xffffffff);
    expect(wrapped.id).toBe(2); // skips 0 and the live id 1; 2 was closed
    expect((await client.open('tcp', 'g.test', 7)).id).toBe(5); // 3 and 4 are live
    await time.quiesce(); // every CONNECT delivered: these are all the server will see
    expect(seen).toEqual([1, 2, 3, 4, 0xffffffff, 2, 5]);
    expect([a, c, top, wrapped].filter((s) => s.closed)).toEqual([]);
    await time.drive(client.close());
  });

  it('maxStreams refuses extra CONNECTs with Throttled without affecting the open streams', async () => {
    const { client, server } = await v1Pair({ server: { maxStreams: 2 } });
    echo(server);
    const one = await client.open('tcp', 'a.test', 1);
    const two = await client.open('tcp', 'b.test', 2);
    const three = await client.open('tcp', 'c.test', 3);
    expect(await firstValueFrom(three.closed$)).toBe(CloseReason.Throttled);
    expect(await roundTrip(one, [1])).toEqual([1]);
    expect(await roundTrip(two, [2])).toEqual([2]);
    expect(server.streamCount).toBe(2);

    one.close();
    await until(() => server.streamCount === 1, 'the server to drop the closed stream');
    const four = await client.open('tcp', 'd.test', 4);
    expect(await roundTrip(four, [4])).toEqual([4]);
    expect(two.closed).toBe(false);
    await client.close();
  });
});

describe('CONNECT, DATA and CLOSE the receiver does not expect', () => {
  it('a CONNECT reusing a live id closes that stream with InvalidInfo; the others continue', async () => {
    const { raw, server } = await rawClient();
    const errors = errorsOf(server);
    const streams: MuxStream[] = [];
    server.streams$.subscribe({ next: ({ stream }) => streams.push(stream), error: failTest });
    echo(server);
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'a.test'), encodeConnect(2, StreamType.Tcp, 80, 'b.test'));
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'again.test'));
    expect(await raw.next(isClose(1))).toMatchObject({ reason: CloseReason.InvalidInfo });
    expect(await firstValueFrom(streams[0].closed$)).toBe(CloseReason.InvalidInfo);
    expect(errors).toEqual([expect.objectContaining({ code: 'UnexpectedPacket' })]);

    raw.send(encodeData(2, Uint8Array.of(9)));
    expect(await raw.next(isData(2))).toMatchObject({ payload: Uint8Array.of(9) });
    expect(streams).toHaveLength(2); // the duplicate did not open a stream
    expect(streams[1].closed).toBe(false);
    await server.close();
  });

  it('the server ignores DATA and CLOSE for unknown stream ids', async () => {
    const { raw, server } = await rawClient();
    const errors = errorsOf(server);
    echo(server);
    raw.send(encodeData(42, Uint8Array.of(1)), encodeClose(43, CloseReason.Voluntary));
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'a.test'), encodeData(1, Uint8Array.of(5)));
    expect(await raw.next(isData(1))).toMatchObject({ payload: Uint8Array.of(5) });
    expect(errors).toEqual([]);
    expect(raw.packets.filter((p) => p.streamId === 42 || p.streamId === 43)).toEqual([]);
    expect(server.streamCount).toBe(1);
    await server.close();
  });

  it('the client ignores DATA and CLOSE for unknown stream ids', async () => {
    const { raw, client } = await rawServer();
    const errors = errorsOf(client);
    const stream = await client.open('tcp', 'a.test', 80);
    const reader = collect(stream);
    raw.send(encodeData(42, Uint8Array.of(1)), encodeClose(43, CloseReason.Voluntary), encodeClose(0xffffffff, CloseReason.Voluntary));
    raw.send(encodeData(stream.id, Uint8Array.of(7)));
    await until(() => reader.chunks.length === 1, 'DATA on the open stream');
    expect([...reader.chunks[0]]).toEqual([7]);
    await stream.write(Uint8Array.of(8));
    expect(await raw.next(isData(stream.id))).toMatchObject({ payload: Uint8Array.of(8) });
    expect(errors).toEqual([]);
    expect(stream.closed).toBe(false);
    expect(raw.packets.filter((p) => p.type === PacketType.Close)).toEqual([]);
    await client.close();
  });
});
