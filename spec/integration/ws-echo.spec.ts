/**
 * The multiplexer over real `ws` sockets on 127.0.0.1: a ServerMux echo server and
 * ClientMux clients, and hand-driven `ws` clients where a test needs a misbehaving peer;
 * then the gateway with its limits. What spec/mux covers over the in-memory transport
 * (flow-control rules, exact queue bounds, close semantics) is not repeated here; these
 * tests check that the same guarantees survive a real socket stack: kernel buffers, `ws`
 * framing, pause/resume of real sockets, and abrupt TCP drops.
 */
import { createHash, randomBytes } from 'node:crypto';
import { firstValueFrom, type Observer } from 'rxjs';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { createLogger } from '../../lib/server/logger';
import type { GatewayOptions } from '../../lib/server/gateway-options';
import type { ConnectRequest, ServerMux } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeConnect, encodeData } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType, type Packet } from '../../lib/wisp/packet/types';
import { memoryMiB, formatMemory, track, within } from '../mux/helpers';
import {
  RawWisp,
  Resources,
  echoHandler,
  eventually,
  muxServer,
  tcpEcho,
  tcpServer,
  turn,
  wsClient,
} from './helpers';
import { failTest } from '../observers';
import { objectContaining, stringMatching } from '../matchers';

const MiB = 1024 * 1024;
const PROTOCOLS = [
  ['v1', false],
  ['v2', true],
] as const;

const resources = new Resources();
afterEach(() => resources.closeAll());

const hex = (hash: ReturnType<typeof createHash>): string => hash.digest('hex');

/**
 * Writes `size` random bytes to a stream in `chunk`-sized writes while reading the echo;
 * resolves once the echo is complete with both SHA-256 digests. Rejects if the stream ends
 * (or delivers more) before `size` bytes came back.
 */
/**
 * One reader per stream for its whole life, handing chunks to the current echo: a stream whose
 * last reader leaves is torn down, so successive echoes on one stream share this subscription.
 */
const readers = new WeakMap<MuxStream, { on?: Partial<Observer<Uint8Array>> }>();
function reader(stream: MuxStream): { on?: Partial<Observer<Uint8Array>> } {
  let entry = readers.get(stream);
  if (entry) return entry;
  const created: { on?: Partial<Observer<Uint8Array>> } = {};
  entry = created;
  readers.set(stream, created);
  stream.data$.subscribe({
    next: (bytes) => created.on?.next?.(bytes),
    error: (error: unknown) => created.on?.error?.(error),
    complete: () => created.on?.complete?.(),
  });
  return created;
}

async function echoRandom(stream: MuxStream, size: number, chunk = 64 * 1024): Promise<{ sent: string; received: string }> {
  const received = createHash('sha256');
  let count = 0;
  const echoed = new Promise<void>((resolve, reject) => {
    const entry = reader(stream);
    entry.on = {
      next(bytes) {
        received.update(bytes);
        count += bytes.length;
        if (count > size) reject(new Error(`stream ${stream.id}: ${count} bytes echoed of ${size}`));
        if (count >= size) {
          entry.on = undefined;
          resolve();
        }
      },
      error: reject,
      complete: () => reject(new Error(`stream ${stream.id} ended after ${count} of ${size} bytes`)),
    };
  });
  const sent = createHash('sha256');
  for (let at = 0; at < size; at += chunk) {
    const bytes = randomBytes(Math.min(chunk, size - at));
    sent.update(bytes);
    await stream.write(bytes);
  }
  await echoed;
  return { sent: hex(sent), received: hex(received) };
}

/** Gateway with loopback targets allowed, closed after the test. */
async function gateway(options: GatewayOptions = {}): Promise<Gateway> {
  return resources.add(await createGateway({ port: 0, policy: { allowLoopback: true }, ...options }), (g) => g.close({ graceMs: 1000 }));
}

describe.each(PROTOCOLS)('ServerMux echo over ws (%s)', (_, v2) => {
  it('100 concurrent streams each echo 1 MiB of random bytes, verified by SHA-256', async () => {
    const server = await muxServer(resources, echoHandler);
    const { mux } = await wsClient(resources, server.url, { v2 });
    expect(mux.version.major).toBe(v2 ? 2 : 1);
    const streams = await Promise.all(Array.from({ length: 100 }, () => mux.open('tcp', 'echo', 7)));
    const results = await within(Promise.all(streams.map((s) => echoRandom(s, MiB))), 60_000, '100 × 1 MiB echoes');
    for (const { sent, received } of results) expect(received).toBe(sent);
    expect(new Set(results.map((r) => r.sent)).size).toBe(100); // really 100 different payloads

    for (const s of streams) s.close();
    await within(Promise.all(server.handlers), 5000, 'server handlers to end');
    expect(await Promise.all(server.handlers)).toEqual(Array(100).fill(undefined));
    await eventually(() => server.muxes[0].streamCount === 0 && mux.streamCount === 0, 'both ends to forget the streams');
  });
});

describe('a slow consumer on one stream', () => {
  it('does not stall the others: 20 streams finish 1 MiB echoes while one is unread, which then completes too', async () => {
    const bufferSize = 8; // 1 MiB is 16 packets of 64 KiB: twice the credit
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handler = async (connect: ConnectRequest, stream: MuxStream): Promise<void> => {
      if (connect.host === 'slow') {
        stream.pause(); // the slow consumer: reads nothing until the others are done
        await released;
        stream.resume();
      }
      await echoHandler(connect, stream);
    };
    const server = await muxServer(resources, handler, { bufferSize });
    const { mux } = await wsClient(resources, server.url);

    const slow = await mux.open('tcp', 'slow', 7);
    let slowEchoed = 0;
    slow.data$.subscribe({ next: (c) => (slowEchoed += c.length), error: failTest });
    const slowPayload = randomBytes(MiB);
    const slowWrite = track(slow.write(slowPayload));

    const others = await Promise.all(Array.from({ length: 20 }, () => mux.open('tcp', 'echo', 7)));
    const results = await within(Promise.all(others.map((s) => echoRandom(s, MiB))), 30_000, 'the 20 other echoes');
    for (const { sent, received } of results) expect(received).toBe(sent);

    // The slow stream is held by its own credit only: nothing echoed, its write still waiting,
    // the client out of credit for it, and the server holding no more than the buffer it granted.
    expect(slowEchoed).toBe(0);
    expect(slowWrite.settled()).toBe(false);
    expect(slow.credit).toBe(0);
    const held = server.muxes[0].debugState().streams.find((s) => s.id === slow.id)!;
    expect(held.queued).toBeLessThanOrEqual(bufferSize);

    release();
    const echo = new Promise<Buffer>((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      let n = 0;
      slow.data$.subscribe({
        next(c) {
          chunks.push(c);
          if ((n += c.length) >= MiB) resolve(Buffer.concat(chunks));
        },
        error: reject,
      });
    });
    await within(slowWrite.promise, 10_000, 'the slow stream write');
    const echoed = await within(echo, 10_000, 'the slow stream echo');
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(slowPayload).digest('hex'));
  });
});

describe('a raw client exceeding its credit (v1)', () => {
  it('is throttled with CLOSE(stream, 0x49); an honest stream on the same connection completes an echo', async () => {
    const bufferSize = 8;
    const server = await muxServer(resources, echoHandler, { bufferSize });
    const raw = await RawWisp.connect(resources, server.url); // no subprotocol: v1
    const hello = (await raw.next((p) => p.type === PacketType.Continue && p.streamId === 0)) as Extract<Packet, { type: 0x03 }>;
    expect(hello.bufferRemaining).toBe(bufferSize);

    // 40 × the credit, all sent in one go, long before any CONTINUE could come back.
    const abusive = 1;
    const burst = [encodeConnect(abusive, StreamType.Tcp, 7, 'echo')];
    for (let i = 0; i < 40 * bufferSize; i++) burst.push(encodeData(abusive, randomBytes(1024)));
    raw.send(...burst);
    const close = await raw.next((p) => p.type === PacketType.Close && p.streamId === abusive);
    expect(close).toMatchObject({ reason: CloseReason.Throttled });
    expect(raw.bytesOn(abusive)).toBeLessThan(40 * bufferSize * 1024); // cut off, not absorbed

    // An honest stream: never more DATA than the credit the server granted.
    const honest = 3;
    const payload = randomBytes(64 * 1024);
    const piece = 1024;
    raw.send(encodeConnect(honest, StreamType.Tcp, 7, 'echo'));
    let credit = bufferSize;
    let seen = raw.packets.length;
    for (let at = 0; at < payload.length; at += piece) {
      while (credit === 0) {
        const grant = await raw.next((p) => p.type === PacketType.Continue && p.streamId === honest, seen);
        seen = raw.packets.indexOf(grant) + 1;
        credit = (grant as Extract<Packet, { type: 0x03 }>).bufferRemaining;
      }
      raw.send(encodeData(honest, payload.subarray(at, at + piece)));
      credit--;
    }
    await eventually(() => raw.bytesOn(honest) >= payload.length, 'the honest echo', 10_000);
    const echoed = Buffer.concat(
      raw.packets.filter((p): p is Extract<Packet, { type: 0x02 }> => p.type === PacketType.Data && p.streamId === honest).map((p) => p.payload),
    );
    expect(echoed.equals(payload)).toBe(true);
    expect(raw.packets.some((p) => p.type === PacketType.Close && p.streamId === honest)).toBe(false);
    expect(server.muxes[0].debugState().streams.map((s) => s.id)).toEqual([honest]);
  });
});

/** Server handlers for the drop tests. */
async function faultHandler(connect: ConnectRequest, stream: MuxStream): Promise<void> {
  switch (connect.host) {
    case 'flood': {
      const chunk = randomBytes(16 * 1024);
      for (;;) await stream.write(chunk); // ends when a write rejects
    }
    case 'stall': // never reads: the client's write waits for credit
      stream.pause();
      await firstValueFrom(stream.closed$);
      return;
    default:
      return echoHandler(connect, stream);
  }
}

/** Reads a stream until it ends; resolves with the byte count and the error it ended with. */
function drain(stream: MuxStream): { bytes: () => number; done: Promise<{ bytes: number; error?: unknown }> } {
  let bytes = 0;
  const done = new Promise<{ bytes: number; error?: unknown }>((resolve) =>
    stream.data$.subscribe({ next: (c) => (bytes += c.length), error: (error: unknown) => resolve({ bytes, error }), complete: () => resolve({ bytes }) }),
  );
  return { bytes: () => bytes, done };
}

describe.each(PROTOCOLS)('the WebSocket dropped mid-transfer (%s)', (_, v2) => {
  it.each(['server', 'client'] as const)('terminated on the %s side: every stream on both ends ends with TransportClosed promptly; pending writes reject', async (side) => {
    const PROMPTLY = 3000;
    const server = await muxServer(resources, faultHandler, { bufferSize: 8, maxPayload: 16 * 1024 });
    const { mux, socket } = await wsClient(resources, server.url, { v2, maxPayload: 16 * 1024 });
    const echo = await mux.open('tcp', 'echo', 7);
    const flood = await mux.open('tcp', 'flood', 9);
    const stall = await mux.open('tcp', 'stall', 1);
    const reads = [echo, flood, stall].map(drain);

    let lastWrite: ReturnType<typeof track> | undefined;
    const writer = (async () => {
      const chunk = randomBytes(16 * 1024);
      for (;;) await (lastWrite = track(echo.write(chunk))).promise;
    })().catch((error: unknown) => error);
    const stuck = track(stall.write(randomBytes(MiB))); // 64 packets of 16 KiB, 8 of credit

    await eventually(() => reads[0].bytes() > 512 * 1024 && reads[1].bytes() > 512 * 1024, 'transfers both ways', 10_000);
    expect(server.streams).toHaveLength(3);
    expect(stuck.settled()).toBe(false);

    const started = Date.now();
    if (side === 'server') server.sockets[0].terminate();
    else socket().terminate();

    for (const { error } of await within(Promise.all(reads.map((r) => r.done)), PROMPTLY, 'client streams to end')) {
      expect(error).toMatchObject({ code: 'TransportClosed' });
    }
    const closes = [echo, flood, stall, ...server.streams].map((s) => firstValueFrom(s.closed$));
    expect(await within(Promise.all(closes), PROMPTLY, 'closed$ on both ends')).toEqual(Array(6).fill(CloseReason.NetworkError));
    await within(expect(stuck.promise).rejects.toMatchObject({ code: 'TransportClosed' }), PROMPTLY, 'the write waiting for credit');
    expect(await within(writer, PROMPTLY, 'the echo writer')).toMatchObject({ code: stringMatching(/^(TransportClosed|StreamAlreadyClosed)$/) });
    expect(lastWrite!.settled()).toBe(true);
    const handled = await within(Promise.all(server.handlers), PROMPTLY, 'server handlers');
    for (const error of handled.filter((e) => e !== undefined)) {
      expect(error).toMatchObject({ code: stringMatching(/^(TransportClosed|StreamAlreadyClosed)$/) });
    }
    expect(handled[1]).toBeDefined(); // the flooding handler's pending write rejected

    for (const end$ of [mux.closed$, server.muxes[0].closed$]) {
      expect(await firstValueFrom(end$)).toEqual({ error: objectContaining({ code: 'TransportClosed' }) });
    }
    expect(Date.now() - started).toBeLessThan(PROMPTLY);
    await expect(mux.open('tcp', 'echo', 7)).rejects.toMatchObject({ code: 'MuxClosed' });
    for (const state of [mux.debugState(), server.muxes[0].debugState()]) {
      expect(state).toMatchObject({ ended: true, streams: [], sendQueue: 0, liveSubscriptions: 0, readingTransport: false });
    }
  });
});

describe('the gateway', () => {
  it('accepts a 2 MiB request body sent as one DATA packet with the default limits, as epoxy-tls sends it', async () => {
    const target = await tcpEcho(resources);
    const gw = await gateway();
    const { mux } = await wsClient(resources, gw.url, { maxPayload: 4 * MiB });
    const stream = await mux.open('tcp', '127.0.0.1', target.port, { awaitConfirmation: true });
    const result = await echoRandom(stream, 2 * MiB, 2 * MiB); // one write, one packet
    expect(result.received).toBe(result.sent);
  });

  it('closes a connection sending a message over maxPacketSize with 1009, without reading it in; other connections keep working', async () => {
    const maxPacketSize = 32 * 1024;
    const target = await tcpEcho(resources);
    const lines: string[] = [];
    const gw = await gateway({ maxPacketSize, logger: createLogger('info', (line) => lines.push(line)) });
    const { mux } = await wsClient(resources, gw.url, { maxPayload: 16 * 1024 });
    const stream = await mux.open('tcp', '127.0.0.1', target.port, { awaitConfirmation: true });
    const first = await echoRandom(stream, 256 * 1024, 16 * 1024);
    expect(first.received).toBe(first.sent);

    // One byte over the limit, as an ordinary (v1) packet.
    const over = await RawWisp.connect(resources, gw.url);
    await over.next((p) => p.type === PacketType.Continue && p.streamId === 0);
    over.send(encodeData(1, new Uint8Array(maxPacketSize - 5 + 1)));
    expect(await within(over.closed, 5000, 'the 1009 close')).toMatchObject({ code: 1009 });
    // The log names the cause and the flag that changes it.
    await eventually(() => lines.some((line) => /closed: PacketTooLarge.*32768 bytes.*--max-packet-size/.test(line)), 'the log line', 5000);

    // A frame header announcing 1 GiB, and none of the payload: the close can only come from
    // the header, so the server never buffered (or allocated) the message.
    const huge = await RawWisp.connect(resources, gw.url);
    await huge.next((p) => p.type === PacketType.Continue && p.streamId === 0);
    const header = Buffer.alloc(14);
    header[0] = 0x82; // FIN, binary
    header[1] = 0x80 | 127; // masked, 64-bit length follows
    header.writeBigUInt64BE(2n ** 30n, 2);
    randomBytes(4).copy(header, 10); // masking key
    (huge.socket as unknown as { _socket: import('node:net').Socket })._socket.write(header);
    expect(await within(huge.closed, 5000, 'the 1009 close')).toMatchObject({ code: 1009 });

    // The earlier connection and stream are untouched; new ones work too.
    const again = await echoRandom(stream, 256 * 1024, 16 * 1024);
    expect(again.received).toBe(again.sent);
    const { mux: fresh } = await wsClient(resources, gw.url, { maxPayload: 16 * 1024 });
    const more = await echoRandom(await fresh.open('tcp', '127.0.0.1', target.port), 256 * 1024, 16 * 1024);
    expect(more.received).toBe(more.sent);
    await eventually(() => gw.stats().connections === 2, 'the gateway to drop the two oversized connections');
    expect(stream.closed).toBe(false);
  });

  it('cuts a client that never sends its INFO at handshakeTimeoutMs; a concurrent client works', async () => {
    const handshakeTimeoutMs = 200;
    const target = await tcpEcho(resources);
    const gw = await gateway({ handshakeTimeoutMs });
    const started = Date.now();
    const stalled = await RawWisp.connect(resources, gw.url, ['wisp-v2']);
    expect(stalled.socket.protocol).toBe('wisp-v2');
    await stalled.next((p) => p.type === PacketType.Info && p.streamId === 0); // and never answers

    const { mux } = await wsClient(resources, gw.url);
    expect(mux.version.major).toBe(2);
    const stream = await mux.open('tcp', '127.0.0.1', target.port, { awaitConfirmation: true });
    const during = await echoRandom(stream, MiB);
    expect(during.received).toBe(during.sent);

    const { code } = await within(stalled.closed, 5000, 'the stalled client to be cut');
    const elapsed = Date.now() - started;
    expect(code).toBe(1002);
    expect(elapsed).toBeGreaterThanOrEqual(handshakeTimeoutMs - 5);
    expect(elapsed).toBeLessThan(handshakeTimeoutMs + 3000);
    expect(stalled.packets.map((p) => p.type)).toEqual([PacketType.Info]); // no CONTINUE(0): never admitted

    const after = await echoRandom(stream, MiB);
    expect(after.received).toBe(after.sent);
    await eventually(() => gw.stats().connections === 1, 'the gateway to forget the stalled connection');
  });

  it('a slow reader under a flooding target: the client pauses its transport and memory stays bounded; then every byte arrives', async () => {
    const OFFERED = 256 * MiB;
    const block = randomBytes(64 * 1024);
    const doubled = Buffer.concat([block, block]); // any chunk of ≤ 64 KiB at any offset lies in here
    let written = 0;
    let waitingForDrain = false;
    // The target writes as fast as the socket takes it (honouring its backpressure) up to 256 MiB.
    const target = await tcpServer(resources, (socket) => {
      const pump = (): void => {
        waitingForDrain = false;
        while (written < OFFERED) {
          written += block.length;
          if (!socket.write(block)) {
            waitingForDrain = true;
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    const gw = await gateway();
    const { mux, socket } = await wsClient(resources, gw.url);

    const before = memoryMiB();
    const raw0 = process.memoryUsage();
    let peak = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - raw0.heapUsed - raw0.arrayBuffers);
    };
    const stream = await mux.open('tcp', '127.0.0.1', target.port, { awaitConfirmation: true });
    stream.pause(); // the slow reader
    let received = 0;
    let mismatch: string | undefined;
    const done = new Promise<void>((resolve, reject) =>
      stream.data$.subscribe({
        next(chunk) {
          const at = received % block.length;
          if (!mismatch && Buffer.compare(chunk, doubled.subarray(at, at + chunk.length)) !== 0) mismatch = `bytes differ at ${received}`;
          received += chunk.length;
        },
        error: reject,
        complete: resolve,
      }),
    );

    // Stalled at every hop, each stop a state that only the next hop can undo: the client's ws
    // socket stopped reading; so the gateway's transport is full (blocked) with the relay's one
    // send in flight, and a relay with a send in flight reads nothing from the target
    // (relayTcp); so the target waits for its socket to drain. From here only the kernel's
    // loopback buffers can still take bytes: no turn counting needed to know the flood stopped.
    const gatewayMux = (): ServerMux => [...(gw as unknown as { muxes: Map<ServerMux, unknown> }).muxes.keys()][0];
    const chainStopped = (): boolean => {
      const state = gatewayMux()?.debugState();
      return (
        waitingForDrain &&
        mux.debugState().pausingStreams === 1 &&
        socket().isPaused &&
        state?.blocked === true &&
        state.streams.length === 1 &&
        state.streams[0].pendingWrites === 1
      );
    };
    await eventually(() => (sample(), chainStopped()), 'the flood to stall behind the paused reader at every hop', 20_000);
    const stalled = memoryMiB();
    const writtenAtStall = written;
    expect(received).toBe(0);
    expect(chainStopped()).toBe(true); // still, after the measurement's garbage collections
    console.log(
      `slow reader: target stalled after ${(writtenAtStall / MiB).toFixed(1)} of ${OFFERED / MiB} MiB offered; ` +
        `memory ${formatMemory(before)} → ${formatMemory(stalled)} (after gc), peak growth while paused ${(peak / MiB).toFixed(1)} MiB (no gc)`,
    );
    expect(writtenAtStall).toBeLessThan(64 * MiB);
    expect(stalled.total - before.total).toBeLessThan(64);
    expect(peak).toBeLessThan(64 * MiB);
    expect(written).toBeLessThan(64 * MiB); // what the kernel buffers took since is bounded too

    stream.resume();
    await within(done, 60_000, 'the whole flood');
    expect(mismatch).toBeUndefined();
    expect(received).toBe(OFFERED);
    expect(written).toBe(OFFERED);
    expect(mux.debugState()).toMatchObject({ pausingStreams: 0 });
    await turn();
  }, 90_000);
});
