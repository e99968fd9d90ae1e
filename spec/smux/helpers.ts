/** Shared pieces of the smux session specs: session pairs over memory and loopback TCP, a raw peer, waiting. */
import { rechunked } from '../support/rechunked';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { lastValueFrom, toArray } from 'rxjs';
import { SmuxSession } from '../../lib/smux/session';
import type { SmuxConfig } from '../../lib/smux/config';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { duplexTransport } from '../../lib/transport/duplex-transport';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { isSplitMessage } from '../../lib/transport/transport';
import { failTest } from '../observers';

export interface SessionPair {
  readonly client: SmuxSession;
  readonly server: SmuxSession;
  /** Releases what the pair holds beyond the sessions (a TCP listener). */
  dispose(): Promise<void>;
}

export async function memoryPair(config: SmuxConfig = {}, serverConfig: SmuxConfig = config): Promise<SessionPair> {
  const [a, b] = memoryTransportPair();
  const [client, server] = await Promise.all([SmuxSession.client(rechunked(a), config), SmuxSession.server(rechunked(b), serverConfig)]);
  return { client, server, dispose: () => Promise.resolve() };
}

/** Two sessions over a real loopback TCP connection (duplexTransport on both ends). */
export async function tcpPair(config: SmuxConfig = {}, serverConfig: SmuxConfig = config): Promise<SessionPair> {
  const listener = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  const clientTransport = duplexTransport(socket);
  const serverTransport = duplexTransport(await accepted);
  const [client, server] = await Promise.all([SmuxSession.client(clientTransport, config), SmuxSession.server(serverTransport, serverConfig)]);
  return { client, server, dispose: () => new Promise((resolve) => listener.close(() => resolve())) };
}

export const sha = (chunks: readonly Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
};

export const bytes = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
};

export const readAll = (stream: MuxStream): Promise<Uint8Array[]> => lastValueFrom(stream.data$.pipe(toArray()));

/** Every stream the peer opens: read to its FIN, then answer, then FIN. */
export function answerAfterEnd(session: SmuxSession, answer: (request: Uint8Array[]) => Uint8Array): void {
  session.streams$.subscribe({
    next: (stream) => {
      void readAll(stream).then(
        // A stream cut by the test's end (the session aborted) cannot be answered: not a failure here.
        (request) => stream.write(answer(request)).then(() => stream.end(), () => undefined),
        failTest,
      );
    },
    error: failTest,
  });
}

/** Every stream the peer opens: write back what arrives; FIN after the peer's FIN. */
export function echo(session: SmuxSession): void {
  session.streams$.subscribe({
    next: (stream) => {
      stream.data$.subscribe({ next: (chunk) => void stream.write(chunk).catch(() => undefined), error: () => undefined, complete: () => stream.end() });
    },
    error: failTest,
  });
}

/** Waits for `condition` with a deadline, checking after each turn of the event loop. */
export async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Bytes of a received transport message. */
export function messageBytes(message: TransportMessage): Uint8Array {
  return isSplitMessage(message) ? Buffer.concat([message.head, message.body]) : message;
}

/** The raw far end of a memory pair: sends bytes, records all it gets as one buffer. */
export interface RawPeer {
  send(bytes: Uint8Array): void;
  received(): Buffer;
  ended(): boolean;
  end(): void;
}

export function rawPeer(transport: Transport): RawPeer {
  const chunks: Uint8Array[] = [];
  let ended = false;
  transport.messages$.subscribe({ next: (m) => chunks.push(messageBytes(m)), error: () => (ended = true), complete: () => (ended = true) });
  return {
    send: (b) => void transport.send(b),
    received: () => Buffer.concat(chunks),
    ended: () => ended,
    end: () => transport.close(1000, ''),
  };
}

/** The frames in a buffer of smux bytes: [cmd, sid, payload length]. */
export function parseFrames(buffer: Buffer): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let at = 0; at + 8 <= buffer.length; ) {
    const length = buffer.readUInt16LE(at + 2);
    out.push([buffer[at + 1], buffer.readUInt32LE(at + 4), length]);
    at += 8 + length;
  }
  return out;
}
