/**
 * Soak over memory transports: several connections (v1 and v2) × many streams moving random
 * data both ways, streams opening and closing throughout, one connection dropped on purpose
 * half-way. Every byte on the surviving streams is verified (SHA-256 and length); the dropped
 * connection's streams must end with TransportClosed; afterwards nothing is left in any
 * connection and memory is back near its baseline.
 *
 * Scaled for `npm test` (SOAK_SECONDS defaults to 4). A longer run:
 *   SOAK_SECONDS=30 SOAK_CONNECTIONS=8 SOAK_WORKERS=16 npx jest spec/mux/soak-memory
 * SOAK_SEED reproduces a run's random choices (the seed is logged).
 */
import { createHash } from 'node:crypto';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux, type ConnectRequest } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { dropMemoryTransport, memoryTransportPair } from '../../lib/transport/memory';
import type { Transport } from '../../lib/transport/transport';
import { formatMemory, memoryMiB, pattern, within } from './helpers';
import { failTest } from '../observers';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 4);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 8);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 0x7fffffff);
const MAX_PAYLOAD = 16 * 1024;

/** Deterministic PRNG (mulberry32), so a failing run can be replayed with SOAK_SEED. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

/**
 * One event-loop turn. The memory transport runs on microtasks only, so a producer that never
 * yields runs its whole stream before any other stream gets a turn; producers here yield
 * between chunks, as socket-driven code does, so that many streams are in flight at once.
 */
const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The server application. `echo`: returns every byte. `source`: reads an 8-byte request
 * (length u32, seed u32), writes that many pattern bytes, then closes the stream.
 */
async function serve(connect: ConnectRequest, stream: MuxStream): Promise<void> {
  if (connect.host === 'echo') {
    for await (const chunk of stream) await stream.write(chunk);
    return;
  }
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done || first.value.length !== 8) return stream.close(CloseReason.ClientError);
  const view = new DataView(first.value.buffer, first.value.byteOffset, 8);
  const length = view.getUint32(0, true);
  const bytes = pattern(length, view.getUint32(4, true));
  for (let at = 0; at < length; at += 40_000) {
    await stream.write(bytes.subarray(at, at + 40_000));
    await ioTurn(); // as a socket source: the next read is another I/O event
  }
  stream.close(CloseReason.Voluntary);
}

const sha = (chunks: readonly Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
};

interface Stats {
  streams: number;
  up: number;
  down: number;
  corrupted: string[];
  droppedStreams: number;
}

/** Reads a stream to its end; resolves with the chunks, or the error it ended with. */
function readAll(stream: MuxStream, onChunk: () => void): Promise<{ chunks: Uint8Array[]; error?: Error }> {
  const chunks: Uint8Array[] = [];
  return new Promise((resolve) => {
    stream.data$.subscribe({
      next: (c) => {
        chunks.push(c);
        onChunk();
      },
      complete: () => resolve({ chunks }),
      error: (error: Error) => resolve({ chunks, error }), // a WispError
    });
  });
}

/** The error a stream cut by the drop must end with. */
function expectCut(error: unknown): void {
  if (!['TransportClosed', 'MuxClosed', 'StreamAlreadyClosed'].includes((error as { code?: string }).code ?? '')) throw error;
}

/** One worker: opens a stream, moves random data, verifies it, closes, repeats until `deadline`. */
async function worker(
  client: ClientMux,
  random: (n: number) => number,
  deadline: number,
  stats: Stats,
  dropped: () => boolean,
  onChunk: () => void,
): Promise<void> {
  while (Date.now() < deadline && !dropped()) {
    try {
      if (random(2) < 1) {
        // Upstream and back: random chunk sizes, some larger than one packet.
        const stream = await client.open('tcp', 'echo', 7);
        stats.streams++;
        const reading = readAll(stream, onChunk);
        const sent: Uint8Array[] = [];
        let bytes = 0;
        const target = 1 + Math.floor(random(256 * 1024));
        let received = 0;
        const echoed = new Promise<void>((resolve) => {
          stream.data$.subscribe({ next: (c) => (received += c.length) === target && resolve(), error: () => resolve(), complete: () => resolve() });
        });
        while (bytes < target) {
          const size = Math.min(target - bytes, 1 + Math.floor(random(random(2) < 1 ? 2000 : 3 * MAX_PAYLOAD)));
          const chunk = pattern(size, 1 + Math.floor(random(0x7ffffff0)));
          sent.push(chunk);
          bytes += size;
          await stream.write(chunk);
          await ioTurn(); // the next chunk comes from an I/O event: other streams get turns
        }
        await echoed;
        if (dropped()) {
          expectCut((await reading).error);
          stats.droppedStreams++;
          return;
        }
        stream.close();
        const { chunks, error } = await reading;
        if (error !== undefined) throw error;
        if (received !== target || sha(chunks) !== sha(sent)) stats.corrupted.push(`echo stream ${stream.id}: ${received}/${target} bytes`);
        stats.up += bytes;
        stats.down += received;
      } else {
        // Downstream: the server produces, the client checks.
        const stream = await client.open('tcp', 'source', 9);
        stats.streams++;
        const reading = readAll(stream, onChunk);
        const length = Math.floor(random(512 * 1024));
        const seed = 1 + Math.floor(random(0x7ffffff0));
        const request = new Uint8Array(8);
        new DataView(request.buffer).setUint32(0, length, true);
        new DataView(request.buffer).setUint32(4, seed, true);
        await stream.write(request);
        const { chunks, error } = await reading;
        if (error !== undefined) throw error;
        if (sha(chunks) !== sha([pattern(length, seed)])) stats.corrupted.push(`source stream ${stream.id}: ${chunks.reduce((n, c) => n + c.length, 0)}/${length} bytes`);
        stats.up += 8;
        stats.down += length;
      }
    } catch (error) {
      if (!dropped()) throw error;
      expectCut(error);
      stats.droppedStreams++;
      return;
    }
    await ioTurn();
  }
}

it(`soak: ${CONNECTIONS} connections × ${WORKERS} streams at a time for ${SECONDS} s, one connection dropped half-way`, async () => {
  const before = memoryMiB();
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const stats: Stats = { streams: 0, up: 0, down: 0, corrupted: [], droppedStreams: 0 };
  const survivorStats: Stats = { streams: 0, up: 0, down: 0, corrupted: [], droppedStreams: 0 };

  const connections: { client: ClientMux; server: ServerMux; transport: Transport; handlers: Promise<unknown>[]; dropped: boolean }[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const protocol = i % 2 === 0 ? '' : 'wisp-v2';
    const [c, s] = memoryTransportPair({ protocol });
    const server = ServerMux.accept(s, { bufferSize: 16, maxPayload: MAX_PAYLOAD });
    const handlers: Promise<unknown>[] = [];
    server.streams$.subscribe({ next: ({ connect, stream }) => handlers.push(serve(connect, stream).catch(() => undefined)), error: failTest });
    const client = await ClientMux.connect(c, { v2: protocol !== '', maxPayload: MAX_PAYLOAD });
    connections.push({ client, server, transport: c, handlers, dropped: false });
  }

  // One connection is dropped half-way, from inside its data flow (which runs on microtasks,
  // so a timer would only ever fire between streams): the drop lands mid-transfer.
  const victim = connections[0];
  const dropAt = started + (SECONDS * 1000) / 2;
  const dropVictim = (): void => {
    if (victim.dropped || Date.now() < dropAt) return;
    victim.dropped = true;
    dropMemoryTransport(victim.transport);
  };
  const work = connections.flatMap((conn, i) =>
    Array.from({ length: WORKERS }, (_, w) =>
      worker(conn.client, rng(SEED + 1000 * i + w), deadline, conn === victim ? stats : survivorStats, () => conn.dropped, conn === victim ? dropVictim : () => undefined),
    ),
  );
  await within(Promise.all(work), SECONDS * 1000 + 30_000, 'the workers');
  expect(victim.dropped).toBe(true);
  expect(stats.droppedStreams).toBeGreaterThanOrEqual(1);

  // The survivors: every byte verified; the victim: its streams ended with the drop.
  expect(survivorStats.corrupted).toEqual([]);
  expect(stats.corrupted).toEqual([]);
  expect(survivorStats.droppedStreams).toBe(0);
  expect(survivorStats.streams).toBeGreaterThan(CONNECTIONS * 2);
  expect(victim.client.debugState()).toMatchObject({ ended: true, streams: [], liveSubscriptions: 0 });

  for (const conn of connections) {
    if (!conn.dropped) await conn.client.close();
    await within(Promise.all(conn.handlers), 5000, 'server handlers to end');
    for (const state of [conn.client.debugState(), conn.server.debugState()]) {
      expect(state).toMatchObject({ ended: true, streams: [], sendQueue: 0, liveSubscriptions: 0, readingTransport: false });
    }
    expect(conn.server.debugState()).toMatchObject({ streamSubscribers: 0, waitingStreams: 0 });
  }
  const seconds = (Date.now() - started) / 1000;
  connections.length = 0;
  work.length = 0;
  const after = memoryMiB();
  console.log(
    `soak (seed ${SEED}): ${seconds.toFixed(1)} s, ${CONNECTIONS} connections × ${WORKERS} workers; ` +
      `surviving connections: ${survivorStats.streams} streams, ${(survivorStats.up / 2 ** 20).toFixed(1)} MiB up, ` +
      `${(survivorStats.down / 2 ** 20).toFixed(1)} MiB down, all verified; dropped connection: ${stats.streams} streams ` +
      `(${stats.droppedStreams} cut by the drop); memory ${formatMemory(before)} → ${formatMemory(after)}`,
  );
  // Generous: the soak allocated hundreds of MiB in passing; what stays must be small.
  expect(after.total - before.total).toBeLessThan(24);
}, SECONDS * 1000 + 60_000);
