/**
 * Helpers for the integration specs, which run over real `ws` sockets on 127.0.0.1 (never
 * another interface). Not a spec itself. Everything a helper creates is registered in a
 * {@link Resources} list that the spec's `afterEach` closes, so no socket, server or timer
 * outlives its test (the suites are expected to be clean under `--detectOpenHandles`).
 *
 * Waiting is event-driven wherever an event exists; {@link eventually} polls a condition on
 * event-loop turns with a time bound where none does. Neither is a sleep: the bound only turns
 * something that never happens into a clear failure.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { ReplaySubject, filter, firstValueFrom, skip, throwError, timeout } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import { ServerMux, type ConnectRequest, type ServerMuxOptions } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import { wsTransport } from '../../lib/transport/ws';
import type { Transport } from '../../lib/transport/transport';
import { failTest } from '../observers';

/** Things to close after a test, closed in reverse order of creation. */
export class Resources {
  private readonly items: (() => unknown)[] = [];

  add<T>(thing: T, close: (thing: T) => unknown): T {
    this.items.push(() => close(thing));
    return thing;
  }

  async closeAll(): Promise<void> {
    for (const close of this.items.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // already closed
      }
    }
  }
}

/** One event-loop turn (timers, I/O, immediates all get a chance). */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Polls `condition` on event-loop turns until it holds; fails after `ms`. */
export async function eventually(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await turn();
  }
}

/** Closes a `ws` server and every socket it accepted, waiting for each to be gone. */
async function closeWss(wss: WebSocketServer): Promise<void> {
  const sockets = [...wss.clients];
  const gone = sockets.filter((s) => s.readyState !== WebSocket.CLOSED).map((s) => once(s, 'close'));
  for (const s of sockets) s.terminate();
  await Promise.all(gone);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** A request handler of the test ServerMux: what to do with one stream. */
export type StreamHandler = (connect: ConnectRequest, stream: MuxStream) => Promise<void>;

/** Echoes a stream back with async iteration (so the reader has backpressure). */
export async function echoHandler(_connect: ConnectRequest, stream: MuxStream): Promise<void> {
  for await (const chunk of stream) await stream.write(chunk);
}

/** A `ws` server on 127.0.0.1 serving each connection with a ServerMux. */
export interface MuxServer {
  readonly url: string;
  readonly wss: WebSocketServer;
  /** ServerMux of each accepted connection, in order. */
  readonly muxes: ServerMux[];
  /** The server-side `ws` socket of each connection, same order. */
  readonly sockets: WebSocket[];
  /** Every stream the server was handed, in arrival order. */
  readonly streams: MuxStream[];
  /** Each handler's outcome (never rejects): `undefined` or the error it ended with. */
  readonly handlers: Promise<unknown>[];
}

export async function muxServer(resources: Resources, handler: StreamHandler, options: ServerMuxOptions = {}): Promise<MuxServer> {
  const wss = resources.add(new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }), closeWss);
  await once(wss, 'listening');
  const server: MuxServer = {
    url: `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`,
    wss,
    muxes: [],
    sockets: [],
    streams: [],
    handlers: [],
  };
  wss.on('connection', (socket) => {
    const mux = ServerMux.accept(wsTransport(socket), options);
    server.muxes.push(mux);
    server.sockets.push(socket);
    mux.streams$.subscribe({
      next: ({ connect, stream }) => {
        server.streams.push(stream);
        server.handlers.push(handler(connect, stream).then(() => undefined, (error: unknown) => error));
      },
      error: failTest,
    });
  });
  return server;
}

/** A ClientMux over `ws`, with its client-side socket exposed (to drop it on purpose). */
export async function wsClient(
  resources: Resources,
  url: string,
  options: ClientMuxOptions = {},
): Promise<{ mux: ClientMux; socket: () => WebSocket }> {
  let socket: WebSocket | undefined;
  const connector = async (u: string, protocols: readonly string[]): Promise<Transport> => {
    const ws = new WebSocket(u, [...protocols], { perMessageDeflate: false });
    const transport = wsTransport(ws); // wrap before it opens: no event goes unobserved
    await once(ws, 'open');
    socket = ws;
    return transport;
  };
  const mux = resources.add(await ClientMux.connect(url, { connector, ...options }), (m) => {
    void m.close().catch(() => undefined);
    return closeSocket(socket!);
  });
  return { mux, socket: () => socket! };
}

/** Terminates a `ws` socket (if still open) and waits until it has closed. */
export async function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = once(socket, 'close');
  socket.terminate();
  await closed;
}

/** A plain `ws` client speaking Wisp by hand: records decoded packets, sends raw bytes. */
export class RawWisp {
  readonly packets: Packet[] = [];
  /** Resolves with the close code and reason once the socket has closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly packetsSubject = new ReplaySubject<Packet>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('error', () => undefined); // the close event reports what matters
    socket.on('message', (data: Buffer) => {
      const packet = decodePacket(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.packets.push(packet);
      this.packetsSubject.next(packet);
    });
    socket.once('close', () => this.packetsSubject.complete());
  }

  static async connect(resources: Resources, url: string, protocols: string[] = []): Promise<RawWisp> {
    const socket = resources.add(new WebSocket(url, protocols, { perMessageDeflate: false }), closeSocket);
    const raw = new RawWisp(socket);
    await once(socket, 'open');
    return raw;
  }

  send(...packets: Uint8Array[]): void {
    for (const packet of packets) this.socket.send(packet, { binary: true });
  }

  /** The first packet matching `predicate` from index `from` on (already received or still to come). */
  next(predicate: (p: Packet) => boolean, from = 0, ms = 5000): Promise<Packet> {
    return firstValueFrom(
      this.packetsSubject.pipe(
        skip(from),
        filter(predicate),
        timeout({ first: ms, with: () => throwError(() => new Error(`no matching packet among ${this.packets.length} received`)) }),
      ),
    );
  }

  /** DATA payload bytes received on stream `id`. */
  bytesOn(id: number): number {
    let n = 0;
    for (const p of this.packets) if (p.type === PacketType.Data && p.streamId === id) n += p.payload.length;
    return n;
  }
}

/** A TCP server on 127.0.0.1 whose open sockets are tracked (to check that none is left). */
export async function tcpServer(resources: Resources, onSocket: (socket: net.Socket) => void): Promise<{ port: number; open: Set<net.Socket> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  resources.add(server, (s) => {
    for (const socket of open) socket.destroy();
    return new Promise((resolve) => s.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, open };
}

/** A TCP echo target. */
export const tcpEcho = (resources: Resources) => tcpServer(resources, (socket) => socket.pipe(socket));
