/**
 * Shared helpers for the multiplexer behaviour specs (not a spec itself: jest only runs
 * `*.spec.ts`). Everything here runs over the in-memory transport, which delivers on
 * microtasks only, so "let every microtask run" (`settle`) is a deterministic point at
 * which nothing more can happen by itself — not a timed sleep.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Observable, ReplaySubject, filter, firstValueFrom, skip, throwError, timeout, VirtualTimeScheduler } from 'rxjs';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import { ServerMux, type ServerMuxOptions } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import type { StreamRecord } from '../../lib/core/stream-record';
import { memoryTransportPair, type MemoryTransportOptions } from '../../lib/transport/memory';
import { messageBytes, type Transport, type TransportMessage } from '../../lib/transport/transport';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { encodeContinue, encodeInfo } from '../../lib/wisp/packet/encode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import type { WispError } from '../../lib/errors';
import { failTest } from '../observers';

/** One macrotask turn: every queued microtask (memory transport, actor, promises) has run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Delivery in virtual time, for tests that must show that nothing more happens: a memory pair
 * made with `{ scheduler }` delivers through it, and `quiesce()` runs deliveries (and the
 * microtasks they cause) until no delivery is left — so "nothing more happened" is a fact
 * about an empty queue, not a guess after some turns of the event loop. Timers given the same
 * scheduler run only when `advance(ms)` moves the clock past them.
 */
export interface VirtualDelivery {
  readonly scheduler: VirtualTimeScheduler;
  /** Runs deliveries until none is left. */
  quiesce(): Promise<void>;
  /** Delivers until `promise` settles; fails if everything went quiet first (it never would). */
  drive<T>(promise: Promise<T>): Promise<T>;
  /** Delivers until `condition` holds, for work that never goes quiet (an endless producer). */
  until(condition: () => boolean, what: string): Promise<void>;
  /** Moves the clock `ms` on: every timer due by then runs, with the deliveries it causes. */
  advance(ms: number): Promise<void>;
}

export function virtualDelivery(): VirtualDelivery {
  const scheduler = new VirtualTimeScheduler();
  scheduler.maxFrames = 0; // deliveries only: nothing timed runs before advance()
  const due = (): boolean => scheduler.actions.length > 0 && scheduler.actions[0].delay <= scheduler.maxFrames;
  const quiesce = async (): Promise<void> => {
    for (let rounds = 0; rounds < 100_000; rounds++) {
      scheduler.flush();
      await new Promise((resolve) => setImmediate(resolve)); // every microtask the deliveries caused
      if (!due()) return;
    }
    throw new Error('deliveries never stopped');
  };
  return {
    scheduler,
    quiesce,
    async advance(ms: number): Promise<void> {
      scheduler.maxFrames += ms;
      await quiesce();
      scheduler.frame = scheduler.maxFrames; // timers set from here on count from the new now
    },
    async drive<T>(promise: Promise<T>): Promise<T> {
      let settled = false;
      promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      await quiesce();
      if (!settled) await new Promise((resolve) => setImmediate(resolve));
      if (!settled) throw new Error('nothing left to deliver, and the promise is still pending');
      return promise;
    },
    async until(condition: () => boolean, what: string): Promise<void> {
      for (let rounds = 0; rounds < 100_000; rounds++) {
        if (condition()) return;
        scheduler.flush();
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error(`gave up delivering until ${what}`);
    },
  };
}

/** Bounded polling on a condition, for the few cases with no event to await. */
export async function until(condition: () => boolean, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await settle();
  }
  throw new Error(`gave up waiting for ${what} after ${turns} turns`);
}

/** `n` deterministic, non-repeating-looking bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

export const concat = (chunks: readonly Uint8Array[]): Buffer => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length)));

/** Tracks whether a promise settled, without leaving a rejection unhandled. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

/** Packets one end sent and received, decoded; `afterReceive` runs once the receiver has processed a packet. */
export interface Tapped {
  readonly transport: Transport;
  readonly sent: Packet[];
  readonly received: Packet[];
}

function decodeQuietly(message: Uint8Array): Packet | undefined {
  try {
    return decodePacket(message);
  } catch {
    return undefined;
  }
}

/** Wraps a transport so every packet it sends and receives is recorded (and optionally observed). */
export function tap(
  inner: Transport,
  hooks: { beforeReceive?(p: Packet): void; afterReceive?(p: Packet): void; onSend?(p: Packet): void } = {},
): Tapped {
  const sent: Packet[] = [];
  const received: Packet[] = [];
  const messages$ = new Observable<TransportMessage>((subscriber) =>
    inner.messages$.subscribe({
      next(message) {
        const packet = decodeQuietly(messageBytes(message));
        if (packet) {
          received.push(packet);
          hooks.beforeReceive?.(packet);
        }
        subscriber.next(message);
        if (packet) hooks.afterReceive?.(packet);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
  const transport: Transport = {
    messages$,
    closed$: inner.closed$,
    drain$: inner.drain$,
    get writable() {
      return inner.writable;
    },
    get protocol() {
      return inner.protocol;
    },
    send(message) {
      const packet = decodeQuietly(message);
      if (packet) {
        sent.push(packet);
        hooks.onSend?.(packet);
      }
      return inner.send(message);
    },
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    close: (code, reason) => inner.close(code, reason),
  };
  return { transport, sent, received };
}

/** DATA packets of one stream in a packet list. */
export const dataOf = (packets: readonly Packet[], id: number) =>
  packets.filter((p): p is Extract<Packet, { type: 0x02 }> => p.type === PacketType.Data && p.streamId === id);

/** CONTINUE packets of one stream in a packet list. */
export const continuesOf = (packets: readonly Packet[], id: number) =>
  packets.filter((p): p is Extract<Packet, { type: 0x03 }> => p.type === PacketType.Continue && p.streamId === id);

/** One end of a memory pair driven by hand: records decoded packets, sends raw bytes. */
export class RawPeer {
  readonly packets: Packet[] = [];
  private readonly packetsSubject = new ReplaySubject<Packet>();

  constructor(readonly transport: Transport) {
    transport.messages$.subscribe({
      next: (message) => {
        const packet = decodePacket(messageBytes(message));
        this.packets.push(packet);
        this.packetsSubject.next(packet);
      },
      error: () => this.packetsSubject.complete(),
      complete: () => this.packetsSubject.complete(),
    });
  }

  send(...messages: Uint8Array[]): void {
    for (const message of messages) this.transport.send(message);
  }

  /**
   * The first packet matching `predicate`, among those received from index `from` on (past or
   * still to come). The time limit only turns a missing packet into a clear failure.
   */
  next(predicate: (p: Packet) => boolean, from = 0): Promise<Packet> {
    return firstValueFrom(
      this.packetsSubject.pipe(
        skip(from),
        filter(predicate),
        timeout({ first: 5000, with: () => throwError(() => new Error(`no matching packet among ${this.describe()}`)) }),
      ),
    );
  }

  private describe(): string {
    return this.packets.map((p) => `${p.type}@${p.streamId}`).join(' ') || 'no packets';
  }

  close(): void {
    this.transport.close();
  }
}

export const isClose = (id: number) => (p: Packet) => p.type === PacketType.Close && p.streamId === id;
export const isData = (id: number) => (p: Packet) => p.type === PacketType.Data && p.streamId === id;

/**
 * A hand-driven v1 client against a real ServerMux (the server's transport is tapped).
 * Resolves once the server's CONTINUE(0) has been read.
 */
export async function rawClient(options: ServerMuxOptions = {}, hooks: Parameters<typeof tap>[1] = {}, time?: VirtualDelivery) {
  const [c, s] = memoryTransportPair({ scheduler: time?.scheduler });
  const raw = new RawPeer(c);
  const serverSide = tap(s, hooks);
  const server = ServerMux.accept(serverSide.transport, options);
  const hello = await (time ? time.drive(raw.next((p) => p.type === PacketType.Continue && p.streamId === 0)) : raw.next((p) => p.type === PacketType.Continue && p.streamId === 0));
  return { raw, server, serverSide, bufferSize: (hello as Extract<Packet, { type: 0x03 }>).bufferRemaining };
}

/** A real ClientMux (v1) against a hand-driven server that has sent CONTINUE(0, bufferSize). */
export async function rawServer(options: ClientMuxOptions = {}, bufferSize = 4, time?: VirtualDelivery) {
  const [c, s] = memoryTransportPair({ scheduler: time?.scheduler });
  const raw = new RawPeer(s);
  raw.send(encodeContinue(0, bufferSize));
  const connecting = ClientMux.connect(c, { v2: false, ...options });
  const client = await (time ? time.drive(connecting) : connecting);
  return { raw, client };
}

/** A v1 ClientMux ↔ ServerMux pair over memory. */
export async function v1Pair(
  options: { client?: ClientMuxOptions; server?: ServerMuxOptions; transport?: MemoryTransportOptions } = {},
) {
  const [c, s] = memoryTransportPair(options.transport);
  const server = ServerMux.accept(s, options.server);
  const client = await ClientMux.connect(c, { v2: false, ...options.client });
  return { client, server, clientTransport: c, serverTransport: s };
}

/** Echoes every stream back to the client; ends quietly when the stream closes. */
export function echo(server: ServerMux): void {
  server.streams$.subscribe({
    next: ({ stream }) => {
      void (async () => {
        try {
          for await (const chunk of stream) await stream.write(chunk);
        } catch {
          // the stream or connection ended under us: nothing to echo to
        }
      })();
    },
    error: failTest,
  });
}

/** Collects a stream's data$ until it completes (or errors). */
export function collect(stream: MuxStream): { chunks: Uint8Array[]; done: Promise<{ chunks: Uint8Array[]; error?: WispError }> } {
  const chunks: Uint8Array[] = [];
  const done = new Promise<{ chunks: Uint8Array[]; error?: WispError }>((resolve) => {
    stream.data$.subscribe({
      next: (chunk) => chunks.push(chunk),
      error: (error: WispError) => resolve({ chunks, error }),
      complete: () => resolve({ chunks }),
    });
  });
  return { chunks, done };
}

/** Total bytes in a list of chunks. */
export const total = (chunks: readonly Uint8Array[]): number => chunks.reduce((n, c) => n + c.length, 0);

/**
 * Test-only peek at what a stream holds unread in its queue. The actor owns this state and
 * exposes no API for it; a few flow-control assertions need the exact count.
 */
export function queued(stream: MuxStream): number {
  return (stream as unknown as { record: StreamRecord }).record.queue.length;
}

/** Errors reported on a mux's errors$, collected. */
export function errorsOf(mux: { errors$: Observable<WispError> }): WispError[] {
  const errors: WispError[] = [];
  mux.errors$.subscribe({ next: (e) => errors.push(e), error: failTest });
  return errors;
}

/**
 * Resolves with `promise`, or fails with a clear message if it takes longer than `ms`. A
 * bound on something expected to happen promptly (never a way to wait); the timer is cleared
 * either way, so it leaves no open handle.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** How a promise settled, for assertions on many promises at once. */
export type Outcome = { ok: true } | { ok: false; error: unknown };

export function outcome(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** Extension records a v2 client lists in its INFO: UDP and stream-open confirmation. */
export const CLIENT_INFO_EXTENSIONS = [
  { id: 0x01, metadata: new Uint8Array(0) },
  { id: 0x05, metadata: new Uint8Array(0) },
];

/**
 * A hand-driven client against a real ServerMux (tapped), v1 or v2. On v2 it answers the
 * server's INFO with `info` (UDP and stream-open confirmation by default) unless `info` is
 * `null`; resolves once the server's CONTINUE(0) has been read (v2 with `info: null`: once
 * its INFO has).
 */
export async function rawClientOf(
  protocol: '' | 'wisp-v2',
  options: ServerMuxOptions = {},
  hooks: Parameters<typeof tap>[1] = {},
  info: Uint8Array | null = encodeInfo(0, 2, 0, CLIENT_INFO_EXTENSIONS),
  time?: VirtualDelivery,
) {
  const [c, s] = memoryTransportPair({ protocol, scheduler: time?.scheduler });
  const wait = <T>(promise: Promise<T>): Promise<T> => (time ? time.drive(promise) : promise);
  const raw = new RawPeer(c);
  const serverSide = tap(s, hooks);
  const server = ServerMux.accept(serverSide.transport, options);
  if (protocol === 'wisp-v2') {
    await wait(raw.next((p) => p.type === PacketType.Info && p.streamId === 0));
    if (info === null) return { raw, server, serverSide, bufferSize: undefined, clientTransport: c, serverTransport: s };
    raw.send(info);
  }
  const hello = await wait(raw.next((p) => p.type === PacketType.Continue && p.streamId === 0));
  return { raw, server, serverSide, bufferSize: (hello as Extract<Packet, { type: 0x03 }>).bufferRemaining, clientTransport: c, serverTransport: s };
}

/**
 * A full garbage collection, for heap measurements: `global.gc` when node runs with
 * --expose-gc, else the same function obtained through V8 flags (works in Node ≥ 12).
 * Returns false when neither is available (then heap numbers are only indicative).
 */
export function forceGc(): boolean {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      return false;
    }
  }
  gc();
  return true;
}

/**
 * Memory in use in MiB after a full collection (when one can be forced): `heap` is V8's
 * heapUsed; `buffers` is ArrayBuffer memory, where packet payloads live (outside the heap).
 */
export function memoryMiB(): { heap: number; buffers: number; total: number } {
  forceGc();
  forceGc(); // a second pass frees what the first one's finalisation released (ArrayBuffer backing stores)
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed / 2 ** 20, buffers: arrayBuffers / 2 ** 20, total: (heapUsed + arrayBuffers) / 2 ** 20 };
}

/** Formats a {@link memoryMiB} reading. */
export const formatMemory = (m: { heap: number; buffers: number }): string => `heap ${m.heap.toFixed(1)} MiB + buffers ${m.buffers.toFixed(1)} MiB`;
