/** Test helper: a `ws` server on 127.0.0.1 (never another interface) that hands out its connections. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { isSplitMessage, type TransportMessage } from '../../lib/transport/transport';

export interface Loopback {
  readonly url: string;
  readonly server: WebSocketServer;
  /** The next accepted server-side socket, in arrival order. */
  nextConnection(): Promise<WebSocket>;
  /** Terminates every connection on both ends and closes the server. */
  close(): Promise<void>;
  /** Registers a client socket to be terminated by {@link close}. */
  track<T extends WebSocket>(socket: T): T;
}

export async function startLoopback(options: Omit<ServerOptions, 'host' | 'port' | 'server' | 'noServer'> = {}): Promise<Loopback> {
  const server = new WebSocketServer({ ...options, host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');

  const accepted: WebSocket[] = [];
  const waiting: ((socket: WebSocket) => void)[] = [];
  const clients: WebSocket[] = [];
  server.on('connection', (socket) => {
    const waiter = waiting.shift();
    if (waiter) waiter(socket);
    else accepted.push(socket);
  });

  return {
    url: `ws://127.0.0.1:${address.port}/`,
    server,
    nextConnection: () => {
      const ready = accepted.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    track: (socket) => {
      clients.push(socket);
      return socket;
    },
    close: async () => {
      const all = [...server.clients, ...clients];
      const closed = all.filter((s) => s.readyState !== WebSocket.CLOSED).map((s) => new Promise((resolve) => s.once('close', resolve)));
      for (const socket of all) socket.terminate();
      await Promise.all(closed);
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Deterministic pseudo-random bytes, so a failure is reproducible. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Lets pending I/O callbacks run once; used only to give a wrong implementation a chance to misbehave. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A received message as bytes; fails the test if it arrived split (these tests send whole messages). */
export function whole(message: TransportMessage): Uint8Array {
  if (isSplitMessage(message)) throw new Error('expected a whole message, got a split one');
  return message;
}
