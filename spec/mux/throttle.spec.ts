import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeConnect, encodeData } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType } from '../../lib/wisp/packet/types';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { RawPeer, continuesOf, dataOf, errorsOf, isClose, queued, rawClient, settle } from './helpers';
import { failTest } from '../observers';

/** Sends `count` one-byte DATA packets on `id`, waiting for a CONTINUE whenever credit runs out. */
async function sendHonestly(raw: RawPeer, id: number, count: number, credit: number): Promise<void> {
  let seen = raw.packets.length;
  for (let i = 0; i < count; i++) {
    while (credit === 0) {
      const grant = await raw.next((p) => p.type === PacketType.Continue && p.streamId === id, seen);
      seen = raw.packets.indexOf(grant) + 1;
      credit = (grant as { bufferRemaining: number }).bufferRemaining;
    }
    raw.send(encodeData(id, Uint8Array.of(i & 0xff)));
    credit--;
  }
}

describe('a client that ignores credit', () => {
  it('is throttled (0x49) on the stream it overruns; the server queues at most bufferSize; other streams go on', async () => {
    const { raw, server, bufferSize } = await rawClient({ bufferSize: 4 });
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
    await settle();
    const greedy = streams.get('greedy')!;
    expect(queued(greedy)).toBe(4); // the whole credit, held
    expect(greedy.closed).toBe(false);
    expect(raw.packets.filter(isClose(1))).toEqual([]);

    raw.send(encodeData(1, Uint8Array.of(4))); // one past the credit
    expect(await raw.next(isClose(1))).toMatchObject({ reason: CloseReason.Throttled });
    expect(await firstValueFrom(greedy.closed$)).toBe(CloseReason.Throttled);
    expect(queued(greedy)).toBe(0); // dropped, not absorbed
    expect(errors).toEqual([expect.objectContaining({ code: 'Throttled', reason: CloseReason.Throttled })]);

    // More flooding on the dead stream is ignored; the honest stream keeps working past its first credit.
    for (let i = 0; i < 10; i++) raw.send(encodeData(1, Uint8Array.of(i)));
    await sendHonestly(raw, 3, 20, bufferSize);
    while (dataOf(raw.packets, 3).length < 20) await raw.next((p) => p.type === PacketType.Data && p.streamId === 3, raw.packets.length);
    expect(dataOf(raw.packets, 3).map((p) => p.payload[0])).toEqual([...Array(20).keys()]);
    expect(continuesOf(raw.packets, 3).length).toBeGreaterThan(0);
    expect(raw.packets.filter(isClose(1))).toHaveLength(1);
    expect(raw.packets.filter(isClose(3))).toHaveLength(0);
    expect(streams.get('honest')!.closed).toBe(false);
    expect(errors).toHaveLength(1);
    await server.close();
  });

  it('never has more than bufferSize packets queued however it floods', async () => {
    let stream: MuxStream | undefined;
    let most = 0;
    let checks = 0;
    // Each DATA packet is checked after the server has processed it.
    const { raw, server } = await rawClient(
      { bufferSize: 8 },
      {
        afterReceive(p) {
          if (p.type !== PacketType.Data || !stream) return;
          checks++;
          most = Math.max(most, queued(stream));
        },
      },
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
    expect(await raw.next(isClose(1))).toMatchObject({ reason: CloseReason.Throttled });
    await settle();
    expect(checks).toBe(100);
    expect(most).toBe(8);
    expect(stream!.closeReason).toBe(CloseReason.Throttled);
    await server.close();
  });
});
