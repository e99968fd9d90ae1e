/**
 * Abusive peers: a client ignoring credit, a client opening streams without end, a slow
 * reader under a flooding server, peers that never finish the handshake, and peers that
 * flood packets before it is done. Each is cut off or slowed with a reason; nothing grows
 * without bound, and the well-behaved streams next to the abusive ones keep working.
 *
 * Bounds are read with the diagnostics snapshot `debugState()` after every packet the
 * receiving side processes (via a tapped transport), not sampled now and then. Memory pairs
 * deliver in virtual time (`virtualDelivery()`), so "nothing more happened" is read off an
 * empty delivery queue, not guessed after some event-loop turns.
 */
import { firstValueFrom } from 'rxjs';
import { defaultWriteBuffer } from '../../lib/core/settings';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeClose, encodeConnect, encodeContinue, encodeData, encodeInfo } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType, type Packet } from '../../lib/wisp/packet/types';
import { memoryTransportPair } from '../../lib/transport/memory';
import { password } from '../../lib/wisp/extensions/password';
import type { ExtensionBuilder } from '../../lib/wisp/extensions/extension';
import {
  RawPeer,
  collect,
  concat,
  echo,
  errorsOf,
  forceGc,
  formatMemory,
  memoryMiB,
  isClose,
  isData,
  pattern,
  rawClientOf,
  sha256,
  tap,
  total,
  track,
  virtualDelivery,
  within,
  type VirtualDelivery,
} from './helpers';
import { failTest } from '../observers';
import { objectContaining } from '../matchers';

const PROTOCOLS = [
  ['v1', ''],
  ['v2', 'wisp-v2'],
] as const;

/** The largest `queued` over a server's TCP streams right now. */
const mostQueued = (server: ServerMux): number =>
  Math.max(0, ...server.debugState().streams.filter((s) => s.kind === 'tcp').map((s) => s.queued));

/** Sends DATA on `id` honestly: `count` one-byte packets, waiting for a CONTINUE whenever credit runs out. */
async function sendHonestly(time: VirtualDelivery, raw: RawPeer, id: number, count: number, credit: number, first = 0): Promise<void> {
  let seen = raw.packets.length;
  for (let i = 0; i < count; i++) {
    while (credit === 0) {
      const grant = await time.drive(raw.next((p) => p.type === PacketType.Continue && p.streamId === id, seen));
      seen = raw.packets.indexOf(grant) + 1;
      credit = (grant as { bufferRemaining: number }).bufferRemaining;
    }
    raw.send(encodeData(id, Uint8Array.of((first + i) & 0xff)));
    credit--;
  }
}

/** DATA payload bytes a raw peer received on a stream, concatenated. */
const bytesOn = (raw: RawPeer, id: number): number[] =>
  raw.packets.filter((p): p is Extract<Packet, { type: 0x02 }> => p.type === PacketType.Data && p.streamId === id).flatMap((p) => [...p.payload]);

describe.each(PROTOCOLS)('(a) a client that ignores credit (%s)', (_, protocol) => {
  it('is throttled (0x49) on the stream it overruns; the server never holds more than bufferSize packets; other streams go on', async () => {
    const bufferSize = 8;
    let server: ServerMux | undefined;
    let most = 0;
    let checks = 0;
    const time = virtualDelivery();
    const setup = await rawClientOf(
      protocol,
      { bufferSize },
      {
        afterReceive(p) {
          if (p.type !== PacketType.Data || !server) return;
          checks++;
          most = Math.max(most, mostQueued(server));
        },
      },
      undefined,
      time,
    );
    server = setup.server;
    const { raw } = setup;
    const errors = errorsOf(server);
    server.streams$.subscribe({
      next: ({ connect, stream }) => {
        stream.confirm(); // v2: the target is "connected" at once (a no-op on v1)
        if (connect.host === 'greedy') {
          stream.pause(); // a consumer that stopped reading
          stream.data$.subscribe();
        } else {
          void (async () => {
            for await (const chunk of stream) await stream.write(chunk);
          })().catch(() => undefined);
        }
      },
      error: failTest,
    });
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'greedy'), encodeConnect(3, StreamType.Tcp, 80, 'honest'));
    for (let i = 0; i < 5 * bufferSize; i++) raw.send(encodeData(1, Uint8Array.of(i))); // one burst, no credit checks
    expect(await time.drive(raw.next(isClose(1)))).toMatchObject({ reason: CloseReason.Throttled });
    await time.quiesce(); // every packet of the burst processed, nothing left in flight
    expect(checks).toBe(5 * bufferSize);
    expect(most).toBe(bufferSize); // reached, never exceeded
    expect(errors).toEqual([expect.objectContaining({ code: 'Throttled', reason: CloseReason.Throttled })]);

    // Flooding the dead stream is ignored; the honest stream keeps working through several credit cycles.
    for (let i = 0; i < 20; i++) raw.send(encodeData(1, Uint8Array.of(i)));
    await sendHonestly(time, raw, 3, 4 * bufferSize, bufferSize);
    await time.quiesce();
    expect(bytesOn(raw, 3)).toEqual([...Array(4 * bufferSize).keys()]);
    expect(raw.packets.filter(isClose(1))).toHaveLength(1);
    expect(raw.packets.filter(isClose(3))).toHaveLength(0);
    expect(most).toBe(bufferSize);
    expect(server.debugState().streams.map((s) => s.id)).toEqual([3]);
    await time.drive(server.close());
  });
});

describe('(a) credit and stream-open confirmation (v2)', () => {
  it('a confirmation sent after early DATA widens the bound to bufferSize + the credit it re-announces (documented trade-off), and no further', async () => {
    // ReceiveWindow.confirmation(): a client may have had packets in flight when the
    // confirmation went out, so the window tolerates that many more. A client that waited
    // for the confirmation can use the slack; past it, it is throttled.
    const bufferSize = 4;
    let server: ServerMux | undefined;
    let most = 0;
    const time = virtualDelivery();
    const setup = await rawClientOf('wisp-v2', { bufferSize }, { afterReceive: () => server && (most = Math.max(most, mostQueued(server))) }, undefined, time);
    server = setup.server;
    const { raw } = setup;
    let stream: MuxStream | undefined;
    server.streams$.subscribe({
      next: ({ stream: s }) => {
        stream = s;
        s.pause();
        s.data$.subscribe();
      },
      error: failTest,
    });
    raw.send(encodeConnect(1, StreamType.Tcp, 80, 'late-confirm'), encodeData(1, Uint8Array.of(0))); // k = 1 early packet
    await time.quiesce();
    expect(most).toBe(1); // the early packet queued
    stream!.confirm();
    expect(await time.drive(raw.next((p) => p.type === PacketType.Continue && p.streamId === 1))).toMatchObject({ bufferRemaining: bufferSize - 1 });
    const slack = bufferSize - 1;
    for (let i = 0; i < bufferSize - 1 + slack; i++) raw.send(encodeData(1, Uint8Array.of(i)));
    await time.quiesce(); // all of them processed: no CLOSE is on its way
    expect(stream!.closed).toBe(false);
    expect(raw.packets.filter(isClose(1))).toEqual([]);
    expect(most).toBe(2 * bufferSize - 1); // 7 packets held with bufferSize 4
    raw.send(encodeData(1, Uint8Array.of(99)));
    expect(await time.drive(raw.next(isClose(1)))).toMatchObject({ reason: CloseReason.Throttled });
    expect(most).toBe(2 * bufferSize - 1);
    await time.drive(server.close());
  });

  it('a confirmation before any DATA keeps the exact bound of bufferSize', async () => {
    const bufferSize = 4;
    let server: ServerMux | undefined;
    let most = 0;
    const setup = await rawClientOf('wisp-v2', { bufferSize }, { afterReceive: () => server && (most = Math.max(most, mostQueued(server))) });
    server = setup.server;
    server.streams$.subscribe({
      next: ({ stream }) => {
        stream.confirm();
        stream.pause();
        stream.data$.subscribe();
      },
      error: failTest,
    });
    setup.raw.send(encodeConnect(1, StreamType.Tcp, 80, 'confirmed'));
    expect(await setup.raw.next((p) => p.type === PacketType.Continue && p.streamId === 1)).toMatchObject({ bufferRemaining: bufferSize });
    for (let i = 0; i <= bufferSize; i++) setup.raw.send(encodeData(1, Uint8Array.of(i)));
    expect(await setup.raw.next(isClose(1))).toMatchObject({ reason: CloseReason.Throttled });
    expect(most).toBe(bufferSize);
    await server.close();
  });
});

describe.each(PROTOCOLS)('(b) a client that opens streams until maxStreams (%s)', (_, protocol) => {
  it('the extra CONNECTs are refused with 0x49; the earlier streams are unaffected; a freed slot is usable again', async () => {
    const maxStreams = 8;
    let server: ServerMux | undefined;
    let most = 0;
    const time = virtualDelivery();
    const setup = await rawClientOf(protocol, { maxStreams }, { afterReceive: () => server && (most = Math.max(most, server.debugState().streams.length)) }, undefined, time);
    server = setup.server;
    const { raw } = setup;
    const errors = errorsOf(server);
    echo(server);
    const ids = Array.from({ length: maxStreams + 50 }, (_, i) => i + 1);
    raw.send(...ids.map((id) => encodeConnect(id, StreamType.Tcp, 80, `s${id}.test`))); // one burst
    for (const id of ids.slice(maxStreams)) expect(await time.drive(raw.next(isClose(id)))).toMatchObject({ reason: CloseReason.Throttled });
    expect(server.streamCount).toBe(maxStreams);
    expect(most).toBe(maxStreams);

    // Every accepted stream still echoes; DATA on refused ids goes nowhere.
    raw.send(...ids.map((id) => encodeData(id, Uint8Array.of(id))));
    for (const id of ids.slice(0, maxStreams)) expect(await time.drive(raw.next(isData(id)))).toMatchObject({ payload: Uint8Array.of(id) });
    await time.quiesce(); // the DATA on refused ids was processed too: no echo is on its way
    expect(raw.packets.filter((p) => p.type === PacketType.Data && p.streamId > maxStreams)).toEqual([]);
    expect(raw.packets.filter((p) => p.type === PacketType.Close && p.streamId <= maxStreams)).toEqual([]);

    // Closing one frees its slot for exactly one new stream.
    raw.send(encodeClose(3, CloseReason.Voluntary), encodeConnect(1000, StreamType.Tcp, 80, 'new.test'), encodeConnect(1001, StreamType.Tcp, 80, 'over.test'));
    expect(await time.drive(raw.next(isClose(1001)))).toMatchObject({ reason: CloseReason.Throttled });
    raw.send(encodeData(1000, Uint8Array.of(42)));
    expect(await time.drive(raw.next(isData(1000)))).toMatchObject({ payload: Uint8Array.of(42) });
    expect(raw.packets.filter(isClose(1000))).toEqual([]);
    expect(most).toBe(maxStreams);
    expect(errors).toEqual([]);
    await time.drive(server.close());
  });
});

describe.each(PROTOCOLS)('(c) a slow reader on the client while the server floods (%s)', (_, protocol) => {
  it('pauses the client transport; the flooding server write()s stay pending; queues stay bounded; everything drains on resume', async () => {
    const highWaterMark = 256 * 1024;
    const maxPayload = 16 * 1024;
    const maxQueuedPackets = 32;
    const time = virtualDelivery();
    const [c, s] = memoryTransportPair({ protocol, highWaterMark, scheduler: time.scheduler });
    let sentBytes = 0;
    let deliveredBytes = 0;
    let client: ClientMux | undefined;
    let mostQueued = 0;
    let mostInFlight = 0;
    const serverSide = tap(s, { onSend: (p) => p.type === PacketType.Data && (sentBytes += p.payload.length) });
    const clientSide = tap(c, {
      afterReceive(p) {
        if (p.type !== PacketType.Data || !client) return;
        deliveredBytes += p.payload.length;
        for (const st of client.debugState().streams) mostQueued = Math.max(mostQueued, st.queued);
      },
    });
    const server = ServerMux.accept(serverSide.transport, { maxPayload });
    client = await time.drive(ClientMux.connect(clientSide.transport, { v2: protocol !== '', maxQueuedPackets }));

    // The flooding server: writes 8 MiB in 16 KiB writes, each as soon as the last one was taken.
    const chunks = Array.from({ length: 512 }, (_, i) => pattern(maxPayload, i + 1));
    let written = 0;
    let pendingWrite: ReturnType<typeof track> | undefined;
    server.streams$.subscribe({
      next: ({ stream }) => {
        void (async () => {
          for (const chunk of chunks) {
            pendingWrite = track(stream.write(chunk));
            await pendingWrite.promise;
            written++;
            mostInFlight = Math.max(mostInFlight, sentBytes - deliveredBytes);
          }
        })();
      },
      error: failTest,
    });
    const gcAvailable = forceGc();
    const before = memoryMiB();

    const stream = await client.open('tcp', 'flood.test', 9);
    stream.pause(); // the slow reader: reads nothing for now
    const reader = collect(stream);
    await time.quiesce(); // everything that can move has moved: the flood waits for the reader
    expect(server.debugState().blocked).toBe(true);
    expect(client.debugState().pausingStreams).toBe(1);
    const writtenAtStall = written;
    expect(pendingWrite!.settled()).toBe(false);
    const stalled = memoryMiB();

    const serverState = server.debugState();
    const pendingOnServer = serverState.streams.reduce((n, st) => n + st.pendingWrites, 0);
    const queuedOnClient = client.debugState().streams[0].queued;
    console.log(
      `(c) ${protocol || 'v1'} flood stalled after ${writtenAtStall}/${chunks.length} writes: ` +
        `server pending writes ${pendingOnServer}, client queued ${queuedOnClient} packets (most ${mostQueued}), ` +
        `bytes in the transport ${sentBytes - deliveredBytes} (hwm ${highWaterMark}), ` +
        `memory ${formatMemory(before)} → ${formatMemory(stalled)}${gcAvailable ? ' (after gc)' : ' (no gc available)'}`,
    );
    // The writes that resolved early within the write buffer (4 × 16 KiB), and the one the handler awaits.
    expect(pendingOnServer).toBe(defaultWriteBuffer(maxPayload) / maxPayload + 1);
    expect(queuedOnClient).toBeLessThanOrEqual(maxQueuedPackets + 1);
    expect(mostQueued).toBeLessThanOrEqual(maxQueuedPackets + 1);
    expect(sentBytes - deliveredBytes).toBeLessThanOrEqual(highWaterMark + maxPayload + 5);
    expect(writtenAtStall * maxPayload).toBeLessThan(2 * 1024 * 1024); // of 8 MiB offered
    // What a stalled flood may hold: the client inbox (33 × 16 KiB) and the transport (256 KiB),
    // ~0.8 MiB (the 8 MiB of source chunks exist before `before`); were backpressure to fail,
    // the 8 MiB would be copied into packets and pile up in the transport instead.
    expect(stalled.total - before.total).toBeLessThan(6);

    stream.resume(); // the reader catches up: everything drains, in order
    await time.quiesce(); // the reader caught up: nothing waits any more
    expect(total(reader.chunks)).toBe(chunks.length * maxPayload);
    expect(written).toBe(chunks.length);
    expect(sha256(reader.chunks)).toBe(sha256(chunks));
    expect(mostQueued).toBeLessThanOrEqual(maxQueuedPackets + 1);
    expect(mostInFlight).toBeLessThanOrEqual(highWaterMark + 2 * (maxPayload + 5));
    expect(client.debugState()).toMatchObject({ pausingStreams: 0, blocked: false });
    expect(concat(reader.chunks.slice(0, 1)).equals(Buffer.from(chunks[0]))).toBe(true);
    await time.drive(client.close());
  });
});

describe('(d) a client that never finishes the handshake', () => {
  it('a v2 server waiting for INFO cuts it at handshakeTimeoutMs with HandshakeTimeout', async () => {
    const handshakeTimeoutMs = 100;
    const started = Date.now();
    const setup = await rawClientOf('wisp-v2', { handshakeTimeoutMs }, {}, null); // reads INFO, answers nothing
    await expect(within(setup.server.ready, 5000, 'the timeout')).rejects.toMatchObject({ code: 'HandshakeTimeout' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(handshakeTimeoutMs - 5); // timer granularity
    expect(elapsed).toBeLessThan(handshakeTimeoutMs + 2000);
    expect(await firstValueFrom(setup.server.closed$)).toMatchObject({ error: objectContaining({ code: 'HandshakeTimeout' }) });
    expect(await firstValueFrom(setup.clientTransport.closed$)).toMatchObject({ code: 1002 });
    expect(setup.server.debugState()).toMatchObject({ handshake: 'failed', readingTransport: false, streams: [] });
  });

  it('a v2 server whose authentication never answers cuts it at handshakeTimeoutMs too', async () => {
    const validate = () => new Promise<boolean>(() => undefined); // never settles
    const setup = await rawClientOf('wisp-v2', { handshakeTimeoutMs: 100, extensions: [password({ validate })] }, {}, null);
    const creds = password({ username: 'u', password: 'p' }).create('client');
    setup.raw.send(encodeInfo(0, 2, 0, [{ id: 0x02, metadata: await creds.encodeMetadata(Uint8Array.of(1)) }]));
    await expect(within(setup.server.ready, 5000, 'the timeout')).rejects.toMatchObject({ code: 'HandshakeTimeout' });
    await firstValueFrom(setup.clientTransport.closed$);
  });

  it('a v1 server is ready at once: there is no handshake for a client to stall', async () => {
    const [, s] = memoryTransportPair();
    const server = ServerMux.accept(s, { handshakeTimeoutMs: 1 });
    await within(server.ready, 1000, 'ready');
    expect(server.version).toEqual({ major: 1, minor: 0 });
    await server.close();
  });

  it.each(PROTOCOLS)('a client facing a silent server gives up at handshakeTimeoutMs (%s)', async (_, protocol) => {
    const [c, s] = memoryTransportPair({ protocol });
    const raw = new RawPeer(s); // reads, never answers
    await expect(within(ClientMux.connect(c, { v2: protocol !== '', handshakeTimeoutMs: 100 }), 5000, 'the timeout')).rejects.toMatchObject({
      code: 'HandshakeTimeout',
    });
    await firstValueFrom(s.closed$);
    raw.close();
  });
});

describe('(e) a peer that floods packets before the v2 handshake completes', () => {
  /** A server whose password check waits until released, so early packets pile up meanwhile. */
  async function authenticating(time: VirtualDelivery) {
    let release: (ok: boolean) => void = () => undefined;
    const validate = () => new Promise<boolean>((resolve) => (release = resolve));
    const setup = await rawClientOf('wisp-v2', { bufferSize: 512, extensions: [password({ validate })] }, {}, null, time);
    const creds = password({ username: 'u', password: 'p' }).create('client');
    setup.raw.send(encodeInfo(0, 2, 0, [{ id: 0x02, metadata: await creds.encodeMetadata(Uint8Array.of(1)) }]));
    return { ...setup, release: (ok: boolean) => release(ok) };
  }

  it('257 early packets: the server refuses with CLOSE(0, 0x49) and HandshakeFailed', async () => {
    const time = virtualDelivery();
    const setup = await authenticating(time);
    setup.raw.send(encodeConnect(1, StreamType.Tcp, 80, 'early.test'));
    for (let i = 0; i < 256; i++) setup.raw.send(encodeData(1, Uint8Array.of(i & 0xff))); // 257 in all
    expect(await time.drive(setup.raw.next(isClose(0)))).toMatchObject({ reason: CloseReason.Throttled });
    await expect(time.drive(setup.server.ready)).rejects.toMatchObject({ code: 'HandshakeFailed', reason: CloseReason.Throttled });
    await time.drive(firstValueFrom(setup.clientTransport.closed$));
    setup.release(true); // late: changes nothing
    await time.quiesce();
    expect(setup.raw.packets.filter((p) => p.type === PacketType.Continue)).toEqual([]);
    expect(setup.server.debugState()).toMatchObject({ handshake: 'failed', readingTransport: false });
  });

  it('exactly 256 early packets are held and delivered in order once the handshake completes', async () => {
    const time = virtualDelivery();
    const setup = await authenticating(time);
    const received: Uint8Array[] = [];
    setup.server.streams$.subscribe({ next: ({ stream }) => stream.data$.subscribe({ next: (chunk) => received.push(chunk), error: failTest }), error: failTest });
    setup.raw.send(encodeConnect(1, StreamType.Tcp, 80, 'early.test'));
    for (let i = 0; i < 255; i++) setup.raw.send(encodeData(1, Uint8Array.of(i)));
    await time.quiesce(); // all 256 held, none delivered before the handshake
    expect(received).toEqual([]);
    setup.release(true);
    await time.drive(setup.server.ready);
    await time.quiesce();
    expect(received.map((c) => c[0])).toEqual([...Array(255).keys()]);
    await time.drive(setup.server.close());
  });

  it('a client answering the server INFO asynchronously fails with HandshakeFailed when the server floods meanwhile', async () => {
    let answer: (m: Uint8Array) => void = () => undefined;
    const slow: ExtensionBuilder = {
      id: 0x7e,
      create: () => ({ id: 0x7e, name: 'slow', encodeMetadata: () => new Promise<Uint8Array>((r) => (answer = r)), decodeMetadata: () => undefined }),
    };
    const time = virtualDelivery();
    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2', scheduler: time.scheduler });
    const raw = new RawPeer(s);
    raw.send(encodeInfo(0, 2, 0, [{ id: 0x7e, metadata: new Uint8Array(0) }]));
    for (let i = 0; i < 300; i++) raw.send(encodeContinue(1, i));
    await expect(time.drive(ClientMux.connect(c, { extensions: [slow] }))).rejects.toMatchObject({ code: 'HandshakeFailed' });
    answer(new Uint8Array(0)); // late: changes nothing
    await time.drive(firstValueFrom(s.closed$));
    await time.quiesce();
    expect(raw.packets.filter((p) => p.type === PacketType.Info)).toEqual([]);
  });
});
