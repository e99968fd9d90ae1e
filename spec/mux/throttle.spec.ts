import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeConnect, encodeData } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType } from '../../lib/wisp/packet/types';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { RawPeer, continuesOf, dataOf, errorsOf, isClose, queued, rawClient, virtualDelivery, type VirtualDelivery } from './helpers';
import { failTest } from '../observers';

/** Sends `count` one-byte DATA packets on `id`, waiting for a CONTINUE whenever credit runs out. */
async function sendHonestly(time: VirtualDelivery, raw: RawPeer, id: number, count: number, credit: number): Promise<void> {
  let seen = raw.packets.length;
  for (let i = 0; i < count; i++) {
    while (credit === 0) {
      const grant = await time.drive(raw.next((p) => p.type === PacketType.Continue && p.streamId === id, seen));
      seen = raw.packets.indexOf(grant) + 1;
      credit = (grant as { bufferRemaining: number }).bufferRemaining;
    }
    raw.send(encodeData(id, Uint8Array.of(i & 0xff)));
    credit--;
  }
}

describe('a client that ignores credit', () => {
  it('is throttled (0x49) on the stream it overruns; the server queues at most bufferSize; other streams go on', async () => {
    const time = virtualDelivery();
    const { raw, server, bufferSize } = await rawClient({ bufferSize: 4 }, {}, time);
    expect(bufferSize).toBe(4);
    const errors = errorsOf(server);
    const streams = new Map<string, MuxStream>();
    server.streams$.subscribe({
      next: ({ connect, stream }) => {
        streams.set(connect.host, stream);
        if (connect.host === 'greedy') stream.pause(); // a consumer that is not reading
        else void (async () => {
          for await (const chunk of stream) await stream.write(chunk); // echo
        })().catch(() => undefined);
      },
      error: failTest,
    });
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'greedy'), encodeConnect(3, StreamType.Tcp, 80, 'honest'));
    for (let i = 0; i < 4; i++) raw.send(encodeData(1, Uint8Array.of(i)));
    await time.quiesce(); // all four processed: no CLOSE is on its way
    const greedy = streams.get('greedy')!;
    expect(queued(greedy)).toBe(4); // the whole credit, held
    expect(greedy.closed).toBe(false);
    expect(raw.packets.filter(isClose(1))).toEqual([]);

    raw.send(encodeData(1, Uint8Array.of(4))); // one past the credit
    expect(await time.drive(raw.next(isClose(1)))).toMatchObject({ reason: CloseReason.Throttled });
    expect(await time.drive(firstValueFrom(greedy.closed$))).toBe(CloseReason.Throttled);
    expect(queued(greedy)).toBe(0); // dropped, not absorbed
    expect(errors).toEqual([expect.objectContaining({ code: 'Throttled', reason: CloseReason.Throttled })]);

    // More flooding on the dead stream is ignored; the honest stream keeps working past its first credit.
    for (let i = 0; i < 10; i++) raw.send(encodeData(1, Uint8Array.of(i)));
    await sendHonestly(time, raw, 3, 20, bufferSize);
    await time.quiesce();
    expect(dataOf(raw.packets, 3).map((p) => p.payload[0])).toEqual([...Array(20).keys()]);
    expect(continuesOf(raw.packets, 3).length).toBeGreaterThan(0);
    expect(raw.packets.filter(isClose(1))).toHaveLength(1);
    expect(raw.packets.filter(isClose(3))).toHaveLength(0);
    expect(streams.get('honest')!.closed).toBe(false);
    expect(errors).toHaveLength(1);
    await time.drive(server.close());
  });

  it('never has more than bufferSize packets queued however it floods', async () => {
    let stream: MuxStream | undefined;
    let most = 0;
    let checks = 0;
    // Each DATA packet is checked after the server has processed it.
    const time = virtualDelivery();
    const { raw, server } = await rawClient(
      { bufferSize: 8 },
      {
        afterReceive(p) {
          if (p.type !== PacketType.Data || !stream) return;
          checks++;
          most = Math.max(most, queued(stream));
        },
      },
      time,
    );
    server.streams$.subscribe({
      next: ({ stream: s }) => {
        stream = s;
        s.pause();
      },
      error: failTest,
    });
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'flood'));
    for (let i = 0; i < 100; i++) raw.send(encodeData(1, new Uint8Array(10)));
    expect(await time.drive(raw.next(isClose(1)))).toMatchObject({ reason: CloseReason.Throttled });
    await time.quiesce(); // the rest of the flood processed too
    expect(checks).toBe(100);
    expect(most).toBe(8);
    expect(stream!.closeReason).toBe(CloseReason.Throttled);
    await time.drive(server.close());
  });
});
