/**
 * Soak through the gateway, over real `ws` sockets and real TCP targets on 127.0.0.1.
 *
 * Several ClientMux connections (v1 and v2) each run several workers; a worker opens a stream,
 * moves random data, verifies it and closes the stream, over and over, so streams open and
 * close all the time. Two targets: a TCP echo (random bytes up and back) and a TCP source
 * (the client asks for N bytes of a seeded keystream, the target writes them and hangs up).
 * Now and then a connection is dropped on purpose — its client socket terminated, or the
 * gateway's end of it destroyed — and replaced by a new one.
 *
 * Checked: every stream that completed has exactly the bytes it should (SHA-256 and length);
 * a stream cut by a drop ended with TransportClosed (or MuxClosed / StreamAlreadyClosed for
 * work started after it) and what it did receive is an exact prefix; no stream on a connection
 * that was not dropped fails at all. Afterwards the gateway holds no connection or stream,
 * every target socket is closed, and memory is back near its baseline.
 *
 * Duration from SOAK_SECONDS (default below; `npm run soak` runs 30 s via jest.soak.config.js).
 * SOAK_CONNECTIONS, SOAK_WORKERS, SOAK_DROPS scale it; SOAK_SEED replays the random choices.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import type { Subscription } from 'rxjs';
import type { ClientMux } from '../../lib/wisp/client-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { forceGc, memoryMiB, within } from '../mux/helpers';
import { Resources, eventually, tcpServer, wsClient } from './helpers';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 4);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 8);
const DROPS = Number(process.env.SOAK_DROPS ?? Math.max(2, Math.round(SECONDS / 5)));
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 0x7fffffff);
const MiB = 1024 * 1024;

/** Deterministic PRNG (mulberry32) for the run's choices. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** `length` bytes of an AES-CTR keystream from `seed`: random-looking, cheap, reproducible on both ends. */
function keystream(length: number, seed: number): Buffer {
  const key = createHash('sha256').update(`soak ${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

const sha = (chunks: readonly Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
};

/** The TCP source target: reads `length u32 LE, seed u32 LE`, writes that keystream, hangs up. */
function serveSource(socket: net.Socket): void {
  let request = Buffer.alloc(0);
  const onData = (data: Buffer): void => {
    request = Buffer.concat([request, data]);
    if (request.length < 8) return;
    socket.off('data', onData);
    socket.end(keystream(request.readUInt32LE(0), request.readUInt32LE(4)));
  };
  socket.on('data', onData);
}

interface Connection {
  readonly mux: ClientMux;
  readonly socket: () => import('ws').WebSocket;
  readonly label: string;
  dropped: boolean;
  /** Set when this connection is to be dropped: called on the next chunk it receives. */
  dropOnChunk?: () => void;
}

interface Stats {
  streams: number;
  echoStreams: number;
  sourceStreams: number;
  bytesUp: number;
  bytesDown: number;
  cutStreams: number;
  cutBytes: number;
  failures: string[];
}

const cutCodes = new Set(['TransportClosed', 'MuxClosed', 'StreamAlreadyClosed']);

/** Reads a stream until `enough` says so, or it ends. */
function readUntil(stream: MuxStream, enough: (count: number) => boolean, onChunk: () => void): Promise<{ chunks: Uint8Array[]; count: number; error?: Error; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let count = 0;
  let subscription: Subscription | undefined; // declared first: a chunk may arrive during subscribe
  return new Promise((resolve) => {
    subscription = stream.data$.subscribe({
      next(c) {
        chunks.push(c);
        count += c.length;
        onChunk();
        if (enough(count)) {
          subscription?.unsubscribe();
          resolve({ chunks, count, ended: false });
        }
      },
      error: (error: Error) => resolve({ chunks, count, error, ended: true }), // a WispError
      complete: () => resolve({ chunks, count, ended: true }),
    });
  });
}

/** True when `chunks` concatenated are exactly the first bytes of `expected`. */
function isPrefix(chunks: readonly Uint8Array[], expected: Buffer): boolean {
  let at = 0;
  for (const c of chunks) {
    if (at + c.length > expected.length || Buffer.compare(c, expected.subarray(at, at + c.length)) !== 0) return false;
    at += c.length;
  }
  return true;
}

/** One stream: echo (random bytes up, the same back) or source (keystream down). Records what happened. */
async function oneStream(conn: Connection, random: (n: number) => number, ports: { echo: number; source: number }, stats: Stats): Promise<void> {
  const echo = random(2) === 0;
  let where = `${conn.label} ${echo ? 'echo' : 'source'} stream`;
  const sent: Buffer[] = []; // echo: what was written so far
  let expected: Buffer | undefined; // source: what the target sends
  let reading: ReturnType<typeof readUntil> | undefined;
  try {
    const stream = await conn.mux.open('tcp', '127.0.0.1', echo ? ports.echo : ports.source);
    where = `${where} #${stream.id}`;
    stats.streams++;
    if (echo) {
      stats.echoStreams++;
      const size = 1 + random(256 * 1024);
      reading = readUntil(stream, (n) => n >= size, () => conn.dropOnChunk?.());
      for (let at = 0; at < size; ) {
        const chunk = randomBytes(Math.min(size - at, 1 + random(random(2) === 0 ? 2000 : 192 * 1024)));
        sent.push(chunk);
        at += chunk.length;
        await stream.write(chunk);
      }
      const got = await reading;
      if (got.error !== undefined) throw got.error;
      if (got.count !== size || sha(got.chunks) !== sha(sent)) stats.failures.push(`${where}: ${got.count}/${size} bytes, digest ${got.count === size ? 'differs' : 'n/a'}`);
      else {
        stats.bytesUp += size;
        stats.bytesDown += size;
      }
      stream.close();
    } else {
      stats.sourceStreams++;
      const length = random(1024 * 1024);
      const seed = random(0x7fffffff);
      expected = keystream(length, seed);
      reading = readUntil(stream, () => false, () => conn.dropOnChunk?.()); // to the end: the target hangs up after `length` bytes
      const request = Buffer.alloc(8);
      request.writeUInt32LE(length, 0);
      request.writeUInt32LE(seed, 4);
      await stream.write(request);
      const got = await reading;
      if (got.error !== undefined) throw got.error;
      if (got.count !== length || sha(got.chunks) !== sha([expected])) stats.failures.push(`${where}: ${got.count}/${length} bytes`);
      else {
        stats.bytesUp += 8;
        stats.bytesDown += length;
      }
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    if (!conn.dropped) return void stats.failures.push(`${where} failed on a live connection: ${code}`);
    if (!cutCodes.has(code)) return void stats.failures.push(`${where} cut by a drop with ${code}`);
    stats.cutStreams++;
    if (reading) {
      const got = await reading; // ends with the drop too
      stats.cutBytes += got.count;
      // An echo cannot return more than was written, so this is exact for both kinds.
      if (!isPrefix(got.chunks, expected ?? Buffer.concat(sent))) stats.failures.push(`${where}: bytes received before the drop are not a prefix`);
    }
  }
}

it(`soak through the gateway: ${CONNECTIONS} connections × ${WORKERS} streams at a time for ${SECONDS} s, ${DROPS} connections dropped`, async () => {
  const resources = new Resources();
  const timers: NodeJS.Timeout[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const random = rng(SEED);
    const echoTarget = await tcpServer(resources, (socket) => socket.pipe(socket));
    const sourceTarget = await tcpServer(resources, serveSource);
    const ports = { echo: echoTarget.port, source: sourceTarget.port };
    const gw: Gateway = resources.add(await createGateway({ port: 0, policy: { allowLoopback: true } }), (g) => g.close({ graceMs: 2000 }));
    // The gateway's end of each connection, by the client's port: to drop it from that side.
    const gatewaySockets = new Map<number, net.Socket>();
    gw.server.on('connection', (socket: net.Socket) => gatewaySockets.set(socket.remotePort!, socket));

    const gcAvailable = forceGc();
    const before = memoryMiB();
    let peak = { heap: 0, buffers: 0 };
    const sample = (): void => {
      const m = process.memoryUsage();
      if (m.heapUsed + m.arrayBuffers > (peak.heap + peak.buffers) * MiB) peak = { heap: m.heapUsed / MiB, buffers: m.arrayBuffers / MiB };
    };
    sampler = setInterval(sample, 50);

    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    const stats: Stats = { streams: 0, echoStreams: 0, sourceStreams: 0, bytesUp: 0, bytesDown: 0, cutStreams: 0, cutBytes: 0, failures: [] };
    const live = new Set<Connection>();
    const all: Connection[] = [];
    let connectionCount = 0;

    const connect = async (slot: number): Promise<Connection> => {
      const { mux, socket } = await wsClient(resources, gw.url, { v2: slot % 2 === 1 });
      const conn: Connection = { mux, socket, label: `conn ${++connectionCount} (v${mux.version.major})`, dropped: false };
      live.add(conn);
      all.push(conn);
      return conn;
    };
    /** A connection slot: runs workers; when its connection is dropped, connects again. */
    const slot = async (index: number): Promise<void> => {
      while (Date.now() < deadline) {
        const conn = await connect(index);
        await Promise.all(
          Array.from({ length: WORKERS }, async (_, w) => {
            const choose = rng(SEED + 7919 * connectionCount + w);
            while (Date.now() < deadline && !conn.dropped) await oneStream(conn, choose, ports, stats);
          }),
        );
        if (!conn.dropped) return;
      }
    };

    // The drops, spread over the middle of the run; sides alternate. A drop is armed by a
    // timer and fired from inside the victim's data flow (its next received chunk), so that
    // it lands mid-transfer rather than between streams; a second timer fires it anyway
    // should no chunk come.
    let drops = 0;
    const drop = (victim: Connection): void => {
      if (victim.dropped) return;
      victim.dropped = true;
      victim.dropOnChunk = undefined;
      live.delete(victim);
      drops++;
      if (drops % 2 === 1) victim.socket().terminate();
      else {
        const port = (victim.socket() as unknown as { _socket: net.Socket })._socket.localPort!;
        gatewaySockets.get(port)!.destroy();
      }
    };
    const armDrop = (): void => {
      const candidates = [...live].filter((c) => !c.dropped && !c.dropOnChunk);
      const victim = candidates[random(candidates.length)];
      if (!victim) return;
      victim.dropOnChunk = () => drop(victim);
      timers.push(setTimeout(() => drop(victim), 1000));
    };
    for (let i = 1; i <= DROPS; i++) timers.push(setTimeout(armDrop, ((0.1 + (0.8 * i) / (DROPS + 1)) * SECONDS * 1000) | 0));

    await within(Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => slot(i))), SECONDS * 1000 + 60_000, 'the workers');
    for (const t of timers) clearTimeout(t);
    const seconds = (Date.now() - started) / 1000;

    expect(stats.failures).toEqual([]);
    expect(drops).toBe(DROPS);
    expect(stats.cutStreams).toBeGreaterThanOrEqual(1);
    expect(stats.cutBytes).toBeGreaterThan(0); // the drops landed mid-transfer
    expect(stats.streams).toBeGreaterThan(CONNECTIONS * WORKERS);

    // Close the survivors; then nothing may be left anywhere.
    for (const conn of live) await conn.mux.close();
    for (const conn of all) expect(conn.mux.debugState()).toMatchObject({ ended: true, streams: [], sendQueue: 0, liveSubscriptions: 0 });
    await eventually(() => gw.stats().connections === 0, 'the gateway to let go of every connection', 10_000);
    expect(gw.stats().streams).toBe(0);
    await eventually(() => echoTarget.open.size === 0 && sourceTarget.open.size === 0, 'every target socket to close', 10_000);
    const relayed = gw.stats();
    expect(relayed.bytesUp).toBeGreaterThanOrEqual(stats.bytesUp);
    expect(relayed.bytesDown).toBeGreaterThanOrEqual(stats.bytesDown);

    clearInterval(sampler);
    sample();
    all.length = 0;
    live.clear();
    await resources.closeAll(); // the gateway, targets and every socket
    const after = memoryMiB();
    const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
    const mem = (m: { heap: number; buffers: number }): string => `${m.heap.toFixed(1)}+${m.buffers.toFixed(1)}`;
    console.log(
      `soak through the gateway (seed ${SEED}): ${seconds.toFixed(1)} s, ${CONNECTIONS} connections × ${WORKERS} workers, ` +
        `${connectionCount} connections in all; ${stats.streams} streams (${stats.echoStreams} echo, ${stats.sourceStreams} source); ` +
        `verified by SHA-256: ${mib(stats.bytesUp)} up, ${mib(stats.bytesDown)} down, 0 corrupted or lost; ` +
        `${drops} drops cut ${stats.cutStreams} streams (${mib(stats.cutBytes)} received before the cut, all exact prefixes); ` +
        `gateway relayed ${mib(relayed.bytesUp)} up, ${mib(relayed.bytesDown)} down; ` +
        `memory heap+buffers MiB: before ${mem(before)}, peak ${mem(peak)}${' (sampled, no gc)'}, after ${mem(after)}${gcAvailable ? ' (after gc)' : ' (no gc available)'}`,
    );
    // Generous: hundreds of MiB passed through; what stays must be small.
    expect(after.total - before.total).toBeLessThan(gcAvailable ? 32 : 128);
  } finally {
    for (const t of timers) clearTimeout(t);
    clearInterval(sampler);
    await resources.closeAll();
  }
}, SECONDS * 1000 + 120_000);
