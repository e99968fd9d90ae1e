import { count, firstValueFrom, lastValueFrom } from 'rxjs';
import { ServerMux } from '../../lib/wisp/server-mux';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { dropMemoryTransport, memoryTransportPair } from '../../lib/transport/memory';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { collect, echo, track, v1Pair, virtualDelivery, within } from './helpers';
import { failTest } from '../observers';
import { objectContaining } from '../matchers';

const closedWith = (stream: MuxStream) => firstValueFrom(stream.closed$);

describe('closing a stream', () => {
  it('a CLOSE from the client ends the stream on both sides, after the data sent before it', async () => {
    const { client, server } = await v1Pair();
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    await stream.write(Uint8Array.of(1, 2, 3));
    await stream.write(Uint8Array.of(4, 5));
    stream.close(CloseReason.ClientError);
    const { stream: remote } = await incoming;

    expect(await closedWith(stream)).toBe(CloseReason.ClientError);
    expect(await closedWith(remote)).toBe(CloseReason.ClientError);
    expect(remote.closed).toBe(true);
    // Subscribed only after the CLOSE was processed: the data still comes first, then the
    // error carrying the reason (only a Voluntary close is a normal end).
    const { chunks, error } = await collect(remote).done;
    expect(error).toMatchObject({ code: 'StreamClosed', reason: CloseReason.ClientError });
    expect(chunks.map((c) => [...c])).toEqual([[1, 2, 3], [4, 5]]);
    await client.close();
  });

  it('a CLOSE from the server ends the stream on both sides, after the data sent before it', async () => {
    const { client, server } = await v1Pair();
    server.streams$.subscribe({
      next: ({ stream }) => {
        stream.send(Uint8Array.of(7));
        stream.send(Uint8Array.of(8, 9), () => stream.close(CloseReason.HostBlocked));
      },
      error: failTest,
    });
    const stream = await client.open('tcp', 'a.test', 80);
    expect(await closedWith(stream)).toBe(CloseReason.HostBlocked);
    const { chunks, error } = await collect(stream).done;
    expect(error).toMatchObject({ code: 'StreamClosed', reason: CloseReason.HostBlocked });
    expect(chunks.map((c) => [...c])).toEqual([[7], [8, 9]]);
    expect(stream.closeReason).toBe(CloseReason.HostBlocked);
    await client.close();
  });

  it('writes on a closed stream reject with StreamAlreadyClosed, on either side', async () => {
    const { client, server } = await v1Pair();
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    const { stream: remote } = await incoming;
    stream.close();
    await expect(stream.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed', reason: CloseReason.Voluntary });
    await closedWith(remote);
    await expect(remote.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed', reason: CloseReason.Voluntary });
    const callback = jest.fn();
    stream.send(Uint8Array.of(1), callback);
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ code: 'StreamAlreadyClosed' }));
    await client.close();
  });

  it('abort() rejects writes still waiting for credit with StreamClosed (close() would wait for them)', async () => {
    // Nobody reads on the server, so no CONTINUE ever comes: 2 packets go out, the rest wait.
    // No write buffer (writeBufferBytes 0): each write waits for its own bytes.
    const time = virtualDelivery();
    const { client, server } = await time.drive(v1Pair({ server: { bufferSize: 2 }, client: { maxPayload: 10, writeBufferBytes: 0 }, transport: { scheduler: time.scheduler } }));
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    const first = track(stream.write(new Uint8Array(20)));
    const second = track(stream.write(new Uint8Array(30)));
    await time.drive(incoming);
    await time.quiesce(); // nothing left in flight: no CONTINUE is coming
    expect(first.settled()).toBe(true);
    expect(second.settled()).toBe(false);
    expect(stream.credit).toBe(0);
    stream.abort(CloseReason.Voluntary);
    await expect(second.promise).rejects.toMatchObject({ code: 'StreamClosed', reason: CloseReason.Voluntary });
    await expect(first.promise).resolves.toBeUndefined();
    await time.drive(client.close());
  });
});

describe('the connection ending', () => {
  it('a dropped transport errors every stream with TransportClosed and NetworkError, on both sides', async () => {
    const time = virtualDelivery();
    const { client, server, clientTransport } = await time.drive(v1Pair({ server: { bufferSize: 2 }, client: { maxPayload: 10, writeBufferBytes: 0 }, transport: { scheduler: time.scheduler } }));
    const remotes: MuxStream[] = [];
    server.streams$.subscribe({ next: ({ stream }) => remotes.push(stream), error: failTest });
    const streams = [await client.open('tcp', 'a.test', 1), await client.open('tcp', 'b.test', 2), await client.open('udp', 'c.test', 3)];
    const pending = track(streams[0].write(new Uint8Array(50))); // 2 of 5 packets have credit (no write buffer: it waits)
    await time.quiesce(); // all delivered that can be: the rest waits for credit
    expect(remotes).toHaveLength(3);
    expect(pending.settled()).toBe(false);
    const reads = [...streams, ...remotes].map((s) => collect(s).done);

    dropMemoryTransport(clientTransport);
    await time.quiesce();

    for (const { error } of await Promise.all(reads)) expect(error).toMatchObject({ code: 'TransportClosed' });
    for (const s of [...streams, ...remotes]) expect(await closedWith(s)).toBe(CloseReason.NetworkError);
    await expect(pending.promise).rejects.toMatchObject({ code: 'TransportClosed' });
    expect(await firstValueFrom(client.closed$)).toEqual({ error: objectContaining({ code: 'TransportClosed' }) });
    expect(await firstValueFrom(server.closed$)).toEqual({ error: objectContaining({ code: 'TransportClosed' }) });
    await expect(client.open('tcp', 'a.test', 1)).rejects.toMatchObject({ code: 'MuxClosed' });
    await expect(streams[1].write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
  });

  it('await client.close() closes every stream on both sides, the server connection and the transport', async () => {
    const time = virtualDelivery();
    const { client, server, clientTransport, serverTransport } = await time.drive(v1Pair({ transport: { scheduler: time.scheduler } }));
    echo(server);
    const remotes: MuxStream[] = [];
    server.streams$.subscribe({ next: ({ stream }) => remotes.push(stream), error: failTest });
    const streams = [await client.open('tcp', 'a.test', 1), await client.open('tcp', 'b.test', 2)];
    await time.quiesce();
    expect(remotes).toHaveLength(2);
    const reads = remotes.map((s) => collect(s).done);

    await time.drive(client.close());

    expect(client.streamCount).toBe(0);
    for (const s of streams) expect(s.closeReason).toBe(CloseReason.Voluntary);
    expect(await time.drive(firstValueFrom(server.closed$))).toEqual({ reason: CloseReason.Voluntary });
    for (const s of remotes) expect(await time.drive(closedWith(s))).toBe(CloseReason.Voluntary);
    for (const { error } of await time.drive(Promise.all(reads))) expect(error).toBeUndefined();
    expect(server.streamCount).toBe(0);
    expect(await time.drive(firstValueFrom(clientTransport.closed$))).toMatchObject({ clean: true });
    expect(await time.drive(firstValueFrom(serverTransport.closed$))).toMatchObject({ clean: true });
    expect(await time.drive(firstValueFrom(client.closed$))).toEqual({ reason: CloseReason.Voluntary });
  });

  it('ServerMux.close(reason) ends the client streams with that reason', async () => {
    const { client, server } = await v1Pair();
    const streams = [await client.open('tcp', 'a.test', 1), await client.open('udp', 'b.test', 2)];
    const reads = streams.map((s) => collect(s).done);
    await server.close(CloseReason.Throttled);

    for (const s of streams) expect(await closedWith(s)).toBe(CloseReason.Throttled);
    for (const { error } of await Promise.all(reads)) expect(error).toMatchObject({ code: 'StreamClosed', reason: CloseReason.Throttled });
    expect(await firstValueFrom(client.closed$)).toEqual({ reason: CloseReason.Throttled });
    expect(await firstValueFrom(server.closed$)).toEqual({ reason: CloseReason.Throttled });
    await expect(client.open('tcp', 'a.test', 1)).rejects.toMatchObject({ code: 'MuxClosed' });
  });
});

describe('ServerMux.streams$', () => {
  it('completes when the connection ends, releasing its subscribers (closed, dropped, or handshake failed)', async () => {
    const { client, server } = await v1Pair();
    const ended = lastValueFrom(server.streams$.pipe(count()));
    await client.open('tcp', 'a.test', 1);
    await client.close();
    expect(await within(ended, 1000, 'streams$ completing after close()')).toBe(1);
    expect(server.debugState()).toMatchObject({ streamSubscribers: 0, waitingStreams: 0 });
    expect(await lastValueFrom(server.streams$, { defaultValue: 'completed at once' })).toBe('completed at once');

    const dropped = await v1Pair();
    const droppedEnded = lastValueFrom(dropped.server.streams$, { defaultValue: undefined });
    dropMemoryTransport(dropped.clientTransport);
    expect(await within(droppedEnded, 1000, 'streams$ completing after a drop')).toBeUndefined();

    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2' });
    const refused = ServerMux.accept(s);
    const refusedEnded = lastValueFrom(refused.streams$, { defaultValue: undefined });
    c.send(Uint8Array.of(0x02, 1, 0, 0, 0)); // DATA instead of the client's INFO
    await expect(refused.ready).rejects.toMatchObject({ code: 'HandshakeFailed' });
    expect(await within(refusedEnded, 1000, 'streams$ completing after a failed handshake')).toBeUndefined();
    c.close();
  });
});
