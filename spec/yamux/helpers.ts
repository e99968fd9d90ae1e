/** Shared pieces of the yamux session specs: session pairs over memory and TCP, a raw peer, waiting with deadlines. */
import { rechunked } from '../support/rechunked';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { VirtualTimeScheduler, lastValueFrom, toArray } from 'rxjs';
import { duplexTransport, connectTcp } from '../../lib/transport/duplex-transport';
import { memoryTransportPair } from '../../lib/transport/memory';
import type { Transport } from '../../lib/transport/transport';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { decodeHeader, yamuxLayout, type YamuxHeader } from '../../lib/yamux/frame';
import { YamuxSession } from '../../lib/yamux/session';
import type { YamuxConfig } from '../../lib/yamux/config';
import { failTest } from '../observers';
import type { VirtualDelivery } from '../mux/helpers';

export const sha = (chunks: readonly Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
};
export const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
export const readAll = (stream: MuxStream): Promise<Uint8Array[]> => lastValueFrom(stream.data$.pipe(toArray()), { defaultValue: [] });
export const total = (chunks: readonly Uint8Array[]): number => chunks.reduce((n, c) => n + c.length, 0);

/** Waits for `condition` with a deadline, checking after each turn of the event loop. */
export async function until(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface Pair {
  readonly client: YamuxSession;
  readonly server: YamuxSession;
  readonly sockets?: readonly net.Socket[];
}

/** Two sessions over a memory pair (each message re-cut at random). */
export async function memoryPair(config: YamuxConfig = {}, serverConfig: YamuxConfig = config): Promise<Pair> {
  const [a, b] = memoryTransportPair();
  const [client, server] = await Promise.all([YamuxSession.client(rechunked(a), config), YamuxSession.server(rechunked(b), serverConfig)]);
  return { client, server };
}

/** Two sessions over real TCP on 127.0.0.1 (duplexTransport on both ends). */
export async function tcpPair(config: YamuxConfig = {}): Promise<Pair & { readonly listener: net.Server }> {
  const listener = net.createServer();
  const accepted = new Promise<Transport>((resolve) => listener.once('connection', (socket) => resolve(duplexTransport(socket))));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const clientTransport = await connectTcp('127.0.0.1', port);
  const [client, server] = await Promise.all([YamuxSession.client(clientTransport, config), accepted.then((t) => YamuxSession.server(t, config))]);
  listener.close();
  return { client, server, listener };
}

/** Serves every stream the peer opens: echoes what it reads, ending after the peer's FIN. */
export function echo(session: YamuxSession): void {
  session.streams$.subscribe({
    next: (stream) => {
      stream.data$.subscribe({
        next: (chunk) => void stream.write(chunk).catch(() => undefined),
        error: () => undefined,
        complete: () => stream.end(),
      });
    },
    error: failTest,
  });
}

/** Virtual time: `advance(ms)` runs every timer due up to now + ms. */
export function virtualTime(): { scheduler: VirtualTimeScheduler; advance(ms: number): void } {
  const scheduler = new VirtualTimeScheduler();
  let now = 0;
  return {
    scheduler,
    advance(ms: number) {
      now += ms;
      scheduler.maxFrames = now;
      scheduler.flush();
    },
  };
}

/** A peer that speaks raw frames: what it received (parsed), and a way to send bytes. */
export interface RawPeer {
  readonly frames: { readonly header: YamuxHeader; readonly body: Uint8Array }[];
  readonly closed: () => boolean;
  send(bytes: Uint8Array): void;
  /** Closes the peer's end of the connection. */
  close(): void;
  /** Frames received as `Type FLAGS id length` strings. */
  seen(): string[];
}

const FLAG_NAMES: readonly [number, string][] = [
  [1, 'SYN'],
  [2, 'ACK'],
  [4, 'FIN'],
  [8, 'RST'],
];
const TYPES = ['Data', 'WindowUpdate', 'Ping', 'GoAway'];
export const describeFrame = (h: YamuxHeader): string =>
  `${TYPES[h.type] ?? h.type} ${FLAG_NAMES.filter(([bit]) => h.flags & bit).map(([, n]) => n).join('|') || '-'} ${h.streamId} ${h.length}`;

/** The other end of a memory pair, driven by hand. */
export function rawPeer(transport: Transport): RawPeer {
  const frames: { header: YamuxHeader; body: Uint8Array }[] = [];
  let closed = false;
  const splitter = new FrameSplitter(yamuxLayout(16 * 1024 * 1024), (head, body) => frames.push({ header: decodeHeader(head), body: Uint8Array.from(body) }));
  transport.messages$.subscribe({
    next: (m) => splitter.push(m as Uint8Array),
    error: () => (closed = true),
    complete: () => (closed = true),
  });
  return {
    frames,
    closed: () => closed,
    send: (b) => void transport.send(b),
    close: () => transport.close(),
    seen: () => frames.map((f) => describeFrame(f.header)),
  };
}

/** A session on one end of a memory pair, and a raw peer on the other; with `time`, the pair delivers in its virtual time. */
export async function sessionWithRawPeer(role: 'client' | 'server', config: YamuxConfig = {}, time?: VirtualDelivery): Promise<{ session: YamuxSession; peer: RawPeer }> {
  const [a, b] = memoryTransportPair({ scheduler: time?.scheduler });
  const peer = rawPeer(b);
  const starting = role === 'client' ? YamuxSession.client(a, config) : YamuxSession.server(a, config);
  const session = await (time ? time.drive(starting) : starting);
  return { session, peer };
}
