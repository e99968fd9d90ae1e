/**
 * Faults: the transport drops (no close frame) in the middle of transfers, on either side,
 * on v1 and v2. Every stream must end promptly with the connection's error, every pending
 * write must settle, nothing may be left behind in either connection's actor (checked with
 * the diagnostics snapshot `debugState()`), and no timer or socket may stay open (the suite
 * is expected to stay clean under `jest --detectOpenHandles`). The memory pairs deliver in
 * virtual time, so "nothing is left" and "nothing was delivered" are read once no delivery
 * is left, not after some event-loop turns.
 */
import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux, type ConnectRequest } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { dropMemoryTransport, memoryTransportPair } from '../../lib/transport/memory';
import { collect, concat, outcome, pattern, total, track, virtualDelivery, within, type Outcome, type VirtualDelivery } from './helpers';
import { objectContaining } from '../matchers';

/** Generous bound on "promptly" (everything here runs on microtasks and should take < 50 ms). */
const PROMPTLY = 2000;

/**
 * One turn of the event loop. Endless producers below yield once per chunk, as a socket
 * source does (its data arrives on I/O turns): the memory transport runs on microtasks only,
 * so a producer that never yields would starve every timer and `setImmediate` for good.
 */
const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The server application: what each host name asks for. */
async function serve(connect: ConnectRequest, stream: MuxStream): Promise<void> {
  switch (connect.host) {
    case 'echo':
      for await (const chunk of stream) await stream.write(chunk);
      return;
    case 'flood': {
      const chunk = pattern(1024, 7);
      for (;;) {
        await stream.write(chunk); // ends when a write rejects
        await ioTurn();
      }
    }
    case 'stall': // accepts the stream, never reads: the client's writes wait for credit
      stream.pause();
      await firstValueFrom(stream.closed$);
      return;
    case 'three': // sends three chunks, then waits
      for (let i = 1; i <= 3; i++) await stream.write(pattern(100, i));
      await firstValueFrom(stream.closed$);
      return;
    case 'datagrams':
      stream.data$.subscribe({ next: (d) => stream.send(d), error: () => undefined });
      await firstValueFrom(stream.closed$);
      return;
    default:
      stream.close(CloseReason.HostBlocked);
  }
}

/** A client ↔ server pair over memory whose server runs {@link serve}, recording what happens. */
async function connection(protocol: '' | 'wisp-v2', time: VirtualDelivery) {
  const [clientTransport, serverTransport] = memoryTransportPair({ protocol, highWaterMark: 64 * 1024, scheduler: time.scheduler });
  const server = ServerMux.accept(serverTransport, { bufferSize: 8, maxPayload: 1024 });
  const remotes: MuxStream[] = [];
  const handlers: Promise<Outcome>[] = [];
  let streamsEnded = false;
  server.streams$.subscribe({
    next: ({ connect, stream }) => {
      remotes.push(stream);
      handlers.push(outcome(serve(connect, stream)));
    },
    complete: () => (streamsEnded = true),
    error: () => (streamsEnded = true),
  });
  const client = await time.drive(ClientMux.connect(clientTransport, { v2: protocol !== '', maxPayload: 1024 }));
  await time.drive(server.ready);
  return { client, server, clientTransport, serverTransport, remotes, handlers, streamsEnded: () => streamsEnded };
}

/** Asserts that nothing is left behind in either actor once the connection has ended. */
function expectNothingLeft(client: ClientMux, server: ServerMux): void {
  for (const state of [client.debugState(), server.debugState()]) {
    expect(state).toMatchObject({
      ended: true,
      streams: [],
      sendQueue: 0,
      pausingStreams: 0,
      queuedBytes: 0,
      liveSubscriptions: 0,
      readingTransport: false,
    });
  }
  expect(server.debugState()).toMatchObject({ waitingStreams: 0, streamSubscribers: 0 });
  expect(client.streamCount).toBe(0);
  expect(server.streamCount).toBe(0);
}

const isTransportClosed = (e: unknown) => expect(e).toMatchObject({ code: 'TransportClosed' });

describe.each([
  ['v1', ''],
  ['v2', 'wisp-v2'],
] as const)('the transport dropping mid-transfer (%s)', (_, protocol) => {
  it.each(['client', 'server'] as const)(
    'dropped on the %s side: every stream ends, every pending write settles, nothing is left behind',
    async (side) => {
      const time = virtualDelivery();
      const c = await connection(protocol, time);
      const { client, server } = c;

      // Upstream and downstream transfers, a write stuck on credit, and datagrams.
      const echo = await client.open('tcp', 'echo', 7);
      const flood = await client.open('tcp', 'flood', 9);
      const stall = await client.open('tcp', 'stall', 1);
      const datagrams = await client.open('udp', 'datagrams', 53);
      const streams = [echo, flood, stall, datagrams];
      const reads = streams.map((s) => collect(s));

      const sent: Uint8Array[] = [];
      const writes: ReturnType<typeof track>[] = [];
      const writer = outcome(
        (async () => {
          for (let i = 0; ; i++) { // until a write rejects
            const chunk = pattern(700, i + 1);
            sent.push(chunk);
            const write = track(echo.write(chunk));
            writes.push(write);
            await write.promise;
            await ioTurn();
          }
        })(),
      );
      // Past the 64 KiB write buffer (maxPayload 1024), so it waits: 8 packets of credit, then no more.
      const stuck = track(stall.write(pattern(96 * 1024)));
      writes.push(stuck);
      datagrams.send(Uint8Array.of(1, 2, 3));

      await time.until(() => total(reads[0].chunks) > 20_000 && total(reads[1].chunks) > 20_000, 'transfers in both directions');
      expect(c.remotes).toHaveLength(4);
      expect(stuck.settled()).toBe(false);
      const pendingAtDrop = writes.filter((w) => !w.settled());
      expect(pendingAtDrop.length).toBeGreaterThanOrEqual(1);

      dropMemoryTransport(side === 'client' ? c.clientTransport : c.serverTransport);
      await time.quiesce(); // what the drop set off has run: the endless loops stopped at their next write

      // Every stream, on both sides, ends with the connection's error and NetworkError.
      for (const { error } of await within(Promise.all(reads.map((r) => r.done)), PROMPTLY, 'client reads ending')) isTransportClosed(error);
      const remoteCloses = c.remotes.map((s) => firstValueFrom(s.closed$));
      const localCloses = streams.map((s) => firstValueFrom(s.closed$));
      expect(await within(Promise.all([...localCloses, ...remoteCloses]), PROMPTLY, 'closed$')).toEqual(Array(8).fill(CloseReason.NetworkError));

      // Every write pending at the drop rejects; every server handler (reading, writing) ends.
      for (const w of pendingAtDrop) await within(expect(w.promise).rejects.toMatchObject({ code: 'TransportClosed' }), PROMPTLY, 'a pending write');
      expect(await within(writer, PROMPTLY, 'the writer loop')).toMatchObject({ ok: false });
      const handled = await within(Promise.all(c.handlers), PROMPTLY, 'server handlers');
      for (const h of handled) if (!h.ok) expect((h.error as { code: string }).code).toMatch(/^(TransportClosed|StreamAlreadyClosed)$/);
      expect(handled.filter((h) => !h.ok).length).toBeGreaterThanOrEqual(2); // echo and flood were mid-transfer

      // The connection reports the drop; new work is refused.
      expect(await firstValueFrom(client.closed$)).toEqual({ error: objectContaining({ code: 'TransportClosed' }) });
      expect(await firstValueFrom(server.closed$)).toEqual({ error: objectContaining({ code: 'TransportClosed' }) });
      await expect(client.open('tcp', 'echo', 7)).rejects.toMatchObject({ code: 'MuxClosed' });
      // A write that resolved early and was lost at the drop surfaces here, else the stream is closed.
      const late = await outcome(echo.write(Uint8Array.of(1)));
      expect(late.ok ? '' : (late.error as { code: string }).code).toMatch(/^(TransportClosed|StreamAlreadyClosed)$/);
      for (const t of [c.clientTransport, c.serverTransport]) expect(await firstValueFrom(t.closed$)).toMatchObject({ clean: false });

      // What was echoed before the drop is an exact prefix of what was sent: nothing corrupted.
      const echoed = concat(reads[0].chunks);
      expect(echoed.equals(concat(sent).subarray(0, echoed.length))).toBe(true);

      await time.quiesce();
      expectNothingLeft(client, server);
      expect(c.streamsEnded()).toBe(true);
    },
  );

  it('a paused reader: closed$ at once; data$ delivers what was queued, then the error, when it resumes', async () => {
    const time = virtualDelivery();
    const c = await connection(protocol, time);
    const three = await c.client.open('tcp', 'three', 3);
    three.pause();
    const read = collect(three);
    await time.quiesce();
    expect(c.client.debugState().streams.find((s) => s.id === three.id)).toMatchObject({ queued: 3 });

    dropMemoryTransport(c.serverTransport);
    expect(await time.drive(firstValueFrom(three.closed$))).toBe(CloseReason.NetworkError);
    await time.quiesce();
    expect(read.chunks).toHaveLength(0); // still paused: nothing delivered, nothing lost

    three.resume();
    const { chunks, error } = await time.drive(read.done);
    expect(chunks.map((chunk) => chunk.length)).toEqual([100, 100, 100]);
    isTransportClosed(error);
    await time.quiesce();
    expectNothingLeft(c.client, c.server);
  });

  it('a dropped transport while a slow reader keeps the client transport paused, and the server blocked, releases everything', async () => {
    const time = virtualDelivery();
    const c = await connection(protocol, time);
    const flood = await c.client.open('tcp', 'flood', 9);
    flood.pause();
    const other = await c.client.open('tcp', 'echo', 7);
    const read = collect(other);
    await time.until(() => c.client.debugState().pausingStreams === 1, 'the slow reader to pause the transport');
    await time.until(() => c.server.debugState().blocked && c.server.debugState().sendQueue > 0, 'the flooding server to block');
    const stuck = track(other.write(pattern(10)));
    await time.quiesce();

    dropMemoryTransport(c.clientTransport);
    expect((await time.drive(read.done)).error).toMatchObject({ code: 'TransportClosed' });
    await time.drive(outcome(stuck.promise));
    flood.resume();
    isTransportClosed((await time.drive(collect(flood).done)).error);
    await time.quiesce();
    expectNothingLeft(c.client, c.server);
  });
});

describe('the transport dropping during the handshake', () => {
  it('fails both sides with TransportClosed and leaves nothing behind (v2 server waiting for INFO)', async () => {
    const [clientTransport, serverTransport] = memoryTransportPair({ protocol: 'wisp-v2' });
    const server = ServerMux.accept(serverTransport, { handshakeTimeoutMs: 60_000 });
    const connecting = ClientMux.connect(clientTransport, { handshakeTimeoutMs: 60_000 });
    dropMemoryTransport(serverTransport);
    await expect(within(connecting, PROMPTLY, 'connect')).rejects.toMatchObject({ code: 'TransportClosed' });
    await expect(within(server.ready, PROMPTLY, 'ready')).rejects.toMatchObject({ code: 'TransportClosed' });
    expect(server.debugState()).toMatchObject({ handshake: 'failed', ended: true, readingTransport: false, streams: [] });
    // The handshake timers were stopped: --detectOpenHandles would report a 60 s timer otherwise.
  });
});
