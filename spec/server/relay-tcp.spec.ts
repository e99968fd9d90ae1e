/**
 * How the gateway's TCP relay ends a target connection when the client closes its stream: a
 * voluntary close delivers what was sent (at once when nothing waits, else within lingerMs),
 * any other reason destroys the socket at once. Over a memory transport pair and real loopback sockets.
 */
import * as net from 'node:net';
import { once } from 'node:events';
import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { HeadroomReader, relayTcp } from '../../lib/server/relay-tcp';
import { failTest } from '../observers';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** A target on 127.0.0.1 that keeps its side open after our FIN (allowHalfOpen). */
async function halfOpenTarget(): Promise<{ port: number; accepted: Promise<net.Socket> }> {
  let onSocket!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (onSocket = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    cleanup.push(() => socket.destroy());
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

/**
 * A client and a server mux; the server relays every stream to `port` with `lingerMs`.
 * `relayed`: the first relayed socket; `each` gets every one.
 */
async function relayPair(
  port: number,
  lingerMs: number,
  bufferSize = 128,
  each: (socket: net.Socket) => void = () => undefined,
  idleTimeoutMs = 0,
): Promise<{ client: ClientMux; relayed: Promise<net.Socket> }> {
  const [c, s] = memoryTransportPair();
  const server = ServerMux.accept(s, { bufferSize });
  let onRelayed!: (socket: net.Socket) => void;
  const relayed = new Promise<net.Socket>((resolve) => (onRelayed = resolve));
  server.streams$.subscribe({
    next: ({ stream }) => {
      const reader = new HeadroomReader();
      const socket = net.connect({ host: '127.0.0.1', port, onread: reader.onread });
      socket.once('connect', () => {
        relayTcp(stream, socket, reader, { idleTimeoutMs, lingerMs });
        onRelayed(socket);
        each(socket);
      });
    },
    error: failTest,
  });
  const client = await ClientMux.connect(c);
  cleanup.push(() => client.close());
  return { client, relayed };
}

describe('relayTcp, when the client closes its stream', () => {
  it('voluntary, everything already in the socket: delivers it and closes at once', async () => {
    const target = await halfOpenTarget();
    const { client, relayed } = await relayPair(target.port, 60_000);
    const stream = await client.open('tcp', 'target', target.port);
    const socket = await target.accepted;
    const ours = await relayed;
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const arrived = once(socket, 'data');
    await stream.write(Buffer.from('last words'));
    await arrived;
    const targetEnded = once(socket, 'end');
    const oursClosed = once(ours, 'close');
    stream.close(CloseReason.Voluntary);
    await targetEnded;
    await oursClosed; // long before the 60 s linger: nothing was left to flush
    expect(Buffer.concat(received).toString()).toBe('last words');
  });

  it('voluntary, data still waiting for a target that never reads: ends after lingerMs at the latest', async () => {
    const target = await halfOpenTarget();
    const { client, relayed } = await relayPair(target.port, 300, 512);
    const stream = await client.open('tcp', 'target', target.port);
    const socket = await target.accepted;
    socket.pause(); // reads nothing, ever
    const ours = await relayed;
    await stream.write(new Uint8Array(24 * 1024 * 1024)); // more than the socket buffers take
    const oursClosed = once(ours, 'close');
    stream.close(CloseReason.Voluntary);
    await firstValueFrom(stream.closed$);
    expect(ours.destroyed).toBe(false); // still flushing
    await oursClosed; // bounded by lingerMs
  });

  it('with any other reason: destroys the socket at once, without ending it first', async () => {
    const target = await halfOpenTarget();
    const { client, relayed } = await relayPair(target.port, 60_000, 512);
    const stream = await client.open('tcp', 'target', target.port);
    const socket = await target.accepted;
    socket.pause();
    const ours = await relayed;
    const ended = jest.fn();
    ours.once('finish', ended);
    await stream.write(new Uint8Array(24 * 1024 * 1024));
    const oursClosed = once(ours, 'close');
    stream.close(CloseReason.NetworkError);
    await firstValueFrom(stream.closed$);
    await oursClosed; // long before the 60 s linger
    expect(ended).not.toHaveBeenCalled();
  });
});

describe('relayTcp, what an idle relay costs', () => {
  it('every relay listens to its socket with the same functions: no closures per stream', async () => {
    const target = await halfOpenTarget();
    const sockets: net.Socket[] = [];
    let bothRelayed!: () => void;
    const relayed = new Promise<void>((resolve) => (bothRelayed = resolve));
    const { client } = await relayPair(target.port, 60_000, 128, (socket) => sockets.push(socket) === 2 && bothRelayed(), 60_000);
    await client.open('tcp', 'target', target.port);
    await client.open('tcp', 'target', target.port);
    await relayed;
    const [a, b] = sockets;
    for (const event of ['drain', 'end', 'error', 'close', 'timeout']) {
      const ours = a.listeners(event);
      expect(ours.length).toBeGreaterThan(0);
      expect(b.listeners(event)).toEqual(ours); // the same function objects
    }
  });
});

describe('HeadroomReader', () => {
  /** One read as Node does it: ask for the buffer, fill `bytes` of it, hand it back. */
  const read = (reader: HeadroomReader, bytes: number, fill: number): Uint8Array => {
    const buffer = reader.onread.buffer();
    buffer.fill(fill, 0, bytes);
    const out: Uint8Array[] = [];
    reader.attach({ deliver: (chunk) => out.push(chunk) > 0 });
    reader.onread.callback(bytes, buffer);
    return out[out.length - 1];
  };

  it('idle and chatty sockets share one read buffer; what they read is copied out, never overwritten', () => {
    const a = new HeadroomReader();
    const b = new HeadroomReader();
    expect(a.onread.buffer()).toBe(b.onread.buffer()); // nothing per socket, not even the view (Node keeps it on the socket)
    const fromA = read(a, 10, 0xaa);
    const fromB = read(b, 20, 0xbb);
    expect([...fromA]).toEqual(new Array(10).fill(0xaa));
    expect([...fromB]).toEqual(new Array(20).fill(0xbb));
    expect(fromA.byteOffset).toBeGreaterThanOrEqual(5); // headroom for the DATA header
  });

  it('a read that fills the shared buffer is copied out, and the socket moves to a buffer of its own', () => {
    const a = new HeadroomReader();
    const b = new HeadroomReader();
    const shared = a.onread.buffer();
    const full = read(a, shared.length, 0x11);
    expect(full.buffer).not.toBe(shared.buffer);
    expect(a.onread.buffer().buffer).not.toBe(shared.buffer); // bulk: its own, larger buffer
    expect(a.onread.buffer().length).toBe(2 * shared.length);
    read(b, 100, 0x22); // b still reads into the shared one: a's chunk is untouched
    expect(full.every((v) => v === 0x11)).toBe(true);
  });
});
