/** Stream semantics on Wisp (design.md): readers leaving, graceful close, abort, end, deadlines. */
import { VirtualTimeScheduler, firstValueFrom, take, toArray, lastValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeClose, encodeContinue, encodeData } from '../../lib/wisp/packet/encode';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { dataOf, isClose, outcome, rawServer, until, virtualDelivery } from './helpers';

const DATA = (id: number, byte: number): Uint8Array => encodeData(id, Uint8Array.of(byte));

describe('the last reader leaving', () => {
  it('tears the stream down (CLOSE Voluntary), so a take(1) reader never stalls the other streams', async () => {
    const { raw, client } = await rawServer({ maxQueuedPackets: 64 });
    const a = await client.open('tcp', 'a.test', 1);
    const b = await client.open('tcp', 'b.test', 2);
    const firstOfA = lastValueFrom(a.data$.pipe(take(1), toArray()));
    const ofB: Uint8Array[] = [];
    b.data$.subscribe({ next: (chunk) => ofB.push(chunk), error: () => undefined });
    raw.send(DATA(a.id, 1));
    expect((await firstOfA).map((c) => [...c])).toEqual([[1]]);
    expect(await raw.next(isClose(a.id))).toMatchObject({ reason: CloseReason.Voluntary });
    expect(a.closed).toBe(true);
    // Far past the per-stream queue limit on A, had it stayed open and unread.
    for (let i = 0; i < 200; i++) raw.send(DATA(a.id, i & 0xff), DATA(b.id, i & 0xff));
    await until(() => ofB.length === 200, 'all of B');
    expect(client.debugState().inboundPaused).toBe(false);
    await client.close();
  });

  it('for await … break tears the stream down too', async () => {
    const { raw, client } = await rawServer();
    const stream = await client.open('tcp', 'a.test', 1);
    raw.send(DATA(stream.id, 7), DATA(stream.id, 8));
    for await (const chunk of stream) {
      expect([...chunk]).toEqual([7]);
      break;
    }
    expect(await raw.next(isClose(stream.id))).toMatchObject({ reason: CloseReason.Voluntary });
    await client.close();
  });

  it('an unread stream that holds the connection up is reported by id', async () => {
    const { raw, client } = await rawServer({ maxQueuedPackets: 4 });
    const unread = await client.open('tcp', 'a.test', 1);
    unread.pause();
    unread.data$.subscribe({ error: () => undefined });
    for (let i = 0; i < 6; i++) raw.send(DATA(unread.id, i));
    await until(() => client.debugState().inboundPaused, 'reading to pause');
    expect(client.debugState().holdingUp).toEqual([unread.id]);
    unread.resume();
    await until(() => !client.debugState().inboundPaused, 'reading to resume');
    expect(client.debugState().holdingUp).toEqual([]);
    await client.close();
  });
});

describe('closing a stream', () => {
  /** A stream with no credit (the server granted 0), and two writes waiting for it (no write buffer). */
  async function starved(options: Parameters<typeof rawServer>[0] = {}) {
    const time = virtualDelivery();
    const { raw, client } = await rawServer({ writeBufferBytes: 0, ...options }, 0, time);
    const stream = await client.open('tcp', 'a.test', 1);
    const writes = [outcome(stream.write(Uint8Array.of(1))), outcome(stream.write(Uint8Array.of(2)))];
    await time.quiesce(); // nothing in flight: no DATA left without credit
    expect(dataOf(raw.packets, stream.id)).toEqual([]);
    return { raw, client, stream, writes, time };
  }

  it('close() is graceful: pending writes go out first, then the CLOSE', async () => {
    const { raw, client, stream, writes, time } = await starved();
    stream.close(CloseReason.Voluntary);
    expect(stream.closed).toBe(false);
    await expect(stream.write(Uint8Array.of(3))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
    raw.send(encodeContinue(stream.id, 8));
    expect(await time.drive(Promise.all(writes))).toEqual([{ ok: true }, { ok: true }]);
    const close = await time.drive(raw.next(isClose(stream.id)));
    // Both writes waited, so they went out gathered in one packet — before the CLOSE.
    expect(dataOf(raw.packets.slice(0, raw.packets.indexOf(close)), stream.id).map((p) => [...p.payload])).toEqual([[1, 2]]);
    expect(await time.drive(firstValueFrom(stream.closed$))).toBe(CloseReason.Voluntary);
    await time.drive(client.close());
  });

  it('end() on Wisp (no half-close) is the same graceful close', async () => {
    const { raw, client, stream, writes, time } = await starved();
    stream.end();
    raw.send(encodeContinue(stream.id, 8));
    expect(await time.drive(Promise.all(writes))).toEqual([{ ok: true }, { ok: true }]);
    expect(await time.drive(raw.next(isClose(stream.id)))).toMatchObject({ reason: CloseReason.Voluntary });
    await time.drive(client.close());
  });

  it('abort(reason) drops pending writes and closes at once', async () => {
    const { raw, client, stream, writes, time } = await starved();
    stream.abort(CloseReason.NetworkError);
    expect(stream.closed).toBe(true);
    expect(await time.drive(raw.next(isClose(stream.id)))).toMatchObject({ reason: CloseReason.NetworkError });
    for (const result of await time.drive(Promise.all(writes))) expect(result).toMatchObject({ ok: false, error: { code: 'StreamClosed' } });
    expect(dataOf(raw.packets, stream.id)).toEqual([]);
    await time.drive(client.close());
  });

  it('a graceful close aborts at its deadline (virtual time) when the window never opens', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { raw, client, stream, writes, time } = await starved({ scheduler, closeDeadlineMs: 2000 });
    stream.close(CloseReason.Voluntary);
    scheduler.maxFrames = 1999;
    scheduler.flush();
    expect(stream.closed).toBe(false);
    scheduler.maxFrames = 2000;
    scheduler.flush();
    expect(stream.closed).toBe(true);
    for (const result of await time.drive(Promise.all(writes))) expect(result).toMatchObject({ ok: false, error: { code: 'StreamClosed' } });
    expect(await time.drive(raw.next(isClose(stream.id)))).toMatchObject({ reason: CloseReason.Voluntary });
    expect(dataOf(raw.packets, stream.id)).toEqual([]);
    await time.drive(client.close());
  });
});

describe('data$ ends', () => {
  const ending = (stream: MuxStream): Promise<unknown> =>
    new Promise((resolve) => stream.data$.subscribe({ error: resolve, complete: () => resolve('completed') }));

  it('completes on a Voluntary CLOSE, errors with the wire reason on any other', async () => {
    const { raw, client } = await rawServer();
    const normal = await client.open('tcp', 'a.test', 1);
    const refused = await client.open('tcp', 'b.test', 2);
    const ends = [ending(normal), ending(refused)];
    raw.send(encodeClose(normal.id, CloseReason.Voluntary), encodeClose(refused.id, CloseReason.ConnectionRefused));
    expect(await ends[0]).toBe('completed');
    expect(await ends[1]).toMatchObject({ code: 'StreamClosed', reason: CloseReason.ConnectionRefused });
    await client.close();
  });

  it('errors with TransportClosed when the connection drops', async () => {
    const { raw, client } = await rawServer();
    const stream = await client.open('tcp', 'a.test', 1);
    const end = ending(stream);
    raw.transport.close(1006, 'gone');
    expect(await end).toMatchObject({ code: 'TransportClosed' });
    await firstValueFrom(client.closed$);
  });
});

describe('small writes that wait are gathered into full packets', () => {
  it('100 writes of 100 bytes queued behind a shut window go out as packets of maxPayload, in order, each write settled', async () => {
    const time = virtualDelivery();
    const { raw, client } = await rawServer({ maxPayload: 4096 }, 0, time);
    const stream = await client.open('tcp', 'a.test', 1);
    const data = Uint8Array.from({ length: 100 * 100 }, (_, i) => (i * 7) & 0xff);
    const writes = Array.from({ length: 100 }, (_, i) => outcome(stream.write(data.subarray(i * 100, (i + 1) * 100))));
    writes.push(outcome(stream.write(new Uint8Array(0)))); // an empty write completes with the rest
    await time.quiesce(); // every write is waiting for the window, none went out
    expect(dataOf(raw.packets, stream.id)).toEqual([]);
    raw.send(encodeContinue(stream.id, 8));
    expect(await time.drive(Promise.all(writes))).toEqual(writes.map(() => ({ ok: true })));
    const sent = dataOf(raw.packets, stream.id);
    // 10,000 bytes: three packets (4096 + 4096 + 1808) instead of 100 — and the credit of 8 packets sufficed.
    expect(sent.map((p) => p.payload.length)).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(sent.map((p) => p.payload)).equals(Buffer.from(data))).toBe(true);
    await time.drive(client.close());
  });

  it('a write with room to go out is sent at once, alone (no waiting to gather)', async () => {
    const { raw, client } = await rawServer({}, 8);
    const stream = await client.open('tcp', 'a.test', 1);
    await stream.write(Uint8Array.of(1));
    await stream.write(Uint8Array.of(2));
    await until(() => dataOf(raw.packets, stream.id).length === 2, 'both packets');
    expect(dataOf(raw.packets, stream.id).map((p) => [...p.payload])).toEqual([[1], [2]]);
    await client.close();
  });
});

describe('toDuplex() gathers what piles up', () => {
  it('hands buffered writes to the mux together (writev), so they leave as full packets', async () => {
    const { raw, client } = await rawServer({ maxPayload: 4096 }, 1);
    const stream = await client.open('tcp', 'a.test', 1);
    const duplex = stream.toDuplex();
    const data = Uint8Array.from({ length: 50 * 100 }, (_, i) => (i * 13) & 0xff);
    for (let i = 0; i < 50; i++) duplex.write(data.subarray(i * 100, (i + 1) * 100));
    const finished = new Promise<void>((resolve, reject) => duplex.write(new Uint8Array(0), (error) => (error ? reject(error) : resolve())));
    await until(() => dataOf(raw.packets, stream.id).length === 1, 'the first packet');
    raw.send(encodeContinue(stream.id, 8));
    await finished;
    const sizes = dataOf(raw.packets, stream.id).map((p) => p.payload.length);
    // The first write went out alone, at once; the second waited for credit alone; the 48
    // that piled up behind it went to the mux as one write: two packets, not 48.
    expect(sizes).toEqual([100, 100, 4096, 704]);
    expect(Buffer.concat(dataOf(raw.packets, stream.id).map((p) => p.payload)).equals(Buffer.from(data))).toBe(true);
    duplex.destroy();
    await client.close();
  });
});
