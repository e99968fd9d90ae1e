/**
 * The per-stream write buffer (issue 17): `write()` resolves at once while the stream's unsent
 * bytes stay within `writeBufferBytes`, waits past it, and what waits leaves in full frames as
 * credit comes. All in virtual delivery: "still waiting" means nothing was left to deliver.
 */
import { VirtualTimeScheduler, firstValueFrom } from 'rxjs';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { memoryTransportPair } from '../../lib/transport/memory';
import { collect, concat, dataOf, outcome, pattern, tap, total, track, virtualDelivery } from './helpers';

/** A client stream to a server stream whose reader is paused: no CONTINUE until it resumes. */
async function starved(bufferSize: number, options: ClientMuxOptions) {
  const time = virtualDelivery();
  const [c, s] = memoryTransportPair({ scheduler: time.scheduler });
  const side = tap(c);
  const server = ServerMux.accept(s, { bufferSize });
  // The connection's timers in virtual time too: held small writes are released on them.
  const client = await time.drive(ClientMux.connect(side.transport, { v2: false, scheduler: time.scheduler, ...options }));
  const incoming = firstValueFrom(server.streams$);
  const stream = await client.open('tcp', 'a.test', 80);
  const { stream: remote } = await time.drive(incoming);
  remote.pause();
  const reader = collect(remote);
  await time.quiesce();
  const sent = () => dataOf(side.sent, stream.id).map((p) => p.payload.length);
  return { time, client, stream, remote, reader, sent };
}

/** `n` writes of 100 bytes of `data`, from write `from` on. */
const hundreds = (stream: { write(c: Uint8Array): Promise<void> }, data: Uint8Array, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => track(stream.write(data.subarray((from + i) * 100, (from + i + 1) * 100))));

describe('the write buffer', () => {
  it('writes within the mark resolve before any credit comes; the one past it waits; what waited leaves in full frames', async () => {
    const { time, client, stream, remote, reader, sent } = await starved(2, { maxPayload: 1000, writeBufferBytes: 4000 });
    const data = pattern(4300);
    const writes = hundreds(stream, data, 43);
    await time.quiesce(); // nothing left to deliver: no CONTINUE is coming
    // 2 went out under the credit (half of it is not short), 40 (4000 bytes) resolved unsent,
    // the 43rd waits for its bytes.
    expect(sent()).toEqual([100, 100]);
    expect(writes.map((w) => w.settled())).toEqual([...Array<boolean>(42).fill(true), false]);
    expect(stream.credit).toBe(0);

    remote.resume();
    await time.quiesce();
    expect(writes[42].settled()).toBe(true);
    // The 41 writes that waited (4100 bytes) left as full frames, not 41 frames of 100.
    expect(sent()).toEqual([100, 100, 1000, 1000, 1000, 1000, 100]);
    expect(concat(reader.chunks).equals(Buffer.from(data))).toBe(true);
    await time.drive(client.close());
  });

  it('with credit short, small writes after the first of a turn wait for the next turn and leave gathered', async () => {
    const { time, client, stream, sent } = await starved(8, { maxPayload: 1000, writeBufferBytes: 4000 });
    const data = pattern(1000);
    for (let i = 0; i < 5; i++) await stream.write(data.subarray(i * 100, (i + 1) * 100));
    expect(sent()).toEqual([100, 100, 100, 100, 100]); // 8 → 3 packets of credit: each alone, at once
    const writes = hundreds(stream, data, 5, 5);
    // Under half the credit left: the first write of the turn goes, the other four wait to gather.
    expect(sent()).toEqual([100, 100, 100, 100, 100, 100]);
    expect(client.debugState().streams[0].gathering).toBe(true);
    await time.quiesce(); // the timer turn
    expect(sent()).toEqual([100, 100, 100, 100, 100, 100, 400]);
    expect(writes.every((w) => w.settled())).toBe(true);
    await time.drive(client.close());
  });

  it('with credit short, a writer that waits a turn between writes is never held', async () => {
    const { time, client, stream, sent } = await starved(8, { maxPayload: 1000, writeBufferBytes: 4000 });
    const data = pattern(800);
    for (let i = 0; i < 5; i++) await stream.write(data.subarray(i * 100, (i + 1) * 100));
    for (let i = 5; i < 8; i++) {
      await time.quiesce(); // a turn passes, as while a request waits for its reply
      void stream.write(data.subarray(i * 100, (i + 1) * 100));
      expect(sent()).toHaveLength(i + 1); // on the transport before write() returned
    }
    expect(stream.credit).toBe(0);
    await time.drive(client.close());
  });

  it('a write with credit leaves at once, alone: the buffer adds no latency', async () => {
    const { time, client, stream, sent } = await starved(8, { maxPayload: 1000, writeBufferBytes: 4000 });
    const first = stream.write(pattern(100));
    expect(sent()).toEqual([100]); // on the transport before write() even returned
    await first;
    void stream.write(pattern(100, 2));
    expect(sent()).toEqual([100, 100]);
    await time.drive(client.close());
  });

  it('abort() drops what the buffer holds: those bytes never go out, and the loss surfaces', async () => {
    const { time, client, stream, remote, reader, sent } = await starved(2, { maxPayload: 1000, writeBufferBytes: 4000 });
    const writes = hundreds(stream, pattern(1200), 12);
    await time.quiesce();
    expect(writes.every((w) => w.settled())).toBe(true); // all resolved, 10 of them unsent
    stream.abort(CloseReason.NetworkError);
    remote.resume();
    await time.quiesce();
    expect(sent()).toEqual([100, 100]);
    expect(total(reader.chunks)).toBe(200);
    expect(await firstValueFrom(remote.closed$)).toBe(CloseReason.NetworkError);
    await expect(stream.flush()).rejects.toMatchObject({ code: 'StreamClosed', reason: CloseReason.NetworkError });
    await expect(stream.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'StreamClosed' });
    await time.drive(client.close());
  });

  it('close() sends what the buffer holds first, then the CLOSE; its callback reports success', async () => {
    // Timers that never run: the close deadline must not fire (nothing is held with a credit of 2).
    const timers = new VirtualTimeScheduler();
    const { time, client, stream, remote, reader, sent } = await starved(2, { maxPayload: 1000, writeBufferBytes: 4000, scheduler: timers });
    const data = pattern(1200);
    hundreds(stream, data, 12);
    await time.quiesce();
    const closed = track(new Promise<unknown>((resolve) => stream.close(CloseReason.Voluntary, resolve)));
    await time.quiesce();
    expect(closed.settled()).toBe(false); // 1000 bytes still wait for credit
    expect(stream.closed).toBe(false);
    remote.resume();
    expect(await time.drive(closed.promise)).toBeUndefined();
    expect(sent()).toEqual([100, 100, 1000]);
    expect(await firstValueFrom(remote.closed$)).toBe(CloseReason.Voluntary);
    expect(concat(reader.chunks).equals(Buffer.from(data))).toBe(true);
    expect((await reader.done).error).toBeUndefined(); // a normal end
    await time.drive(client.close());
  });

  it('a reset by the peer that loses buffered bytes surfaces on the next write(), flush() and the end() callback', async () => {
    const { time, client, stream, remote } = await starved(2, { maxPayload: 1000, writeBufferBytes: 4000 });
    const writes = hundreds(stream, pattern(1200), 12);
    await time.quiesce();
    expect(writes.every((w) => w.settled())).toBe(true);
    remote.abort(CloseReason.ConnectionRefused);
    await time.quiesce();
    expect(stream.closed).toBe(true);
    const lost = { code: 'StreamClosed', reason: CloseReason.ConnectionRefused };
    expect(await outcome(stream.write(Uint8Array.of(1)))).toMatchObject({ ok: false, error: lost });
    await expect(stream.flush()).rejects.toMatchObject(lost);
    expect(await new Promise((resolve) => stream.end(resolve))).toMatchObject(lost);
    await time.drive(client.close());
  });

  it('a reset that loses nothing reports nothing: flush() resolves once all went out', async () => {
    const { time, client, stream, remote } = await starved(8, { maxPayload: 1000, writeBufferBytes: 4000 });
    await stream.write(pattern(100));
    await stream.flush();
    remote.abort(CloseReason.ConnectionRefused);
    await time.quiesce();
    await expect(stream.flush()).resolves.toBeUndefined();
    await expect(stream.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
    await time.drive(client.close());
  });
});
