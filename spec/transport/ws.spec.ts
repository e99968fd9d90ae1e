import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { WebSocket } from 'ws';
import { connectWs, wsTransport } from '../../lib/transport/ws';
import { isSplitMessage, type Transport, type TransportConnector } from '../../lib/transport/transport';
import { WispError } from '../../lib/errors';
import { closedPort, patternBytes, startLoopback, turn, whole, type Loopback } from './loopback';
import { objectContaining, stringMatching } from '../matchers';

let loopback: Loopback | undefined;
let transports: Transport[] = [];

/** Registers a client transport so the test waits for it to close. */
function opened(transport: Transport): Transport {
  transports.push(transport);
  return transport;
}

afterEach(async () => {
  await loopback?.close();
  await Promise.all(transports.map((t) => firstValueFrom(t.closed$)));
  loopback = undefined;
  transports = [];
});

/** A connected client transport and the server's raw socket. */
async function connectPair(protocols: readonly string[] = [], options: { highWaterMark?: number } = {}) {
  loopback ??= await startLoopback();
  const connecting = connectWs(loopback.url, protocols, options);
  const serverSocket = await loopback.nextConnection();
  const client = opened(await connecting);
  return { client, serverSocket };
}

/** A raw `ws` client wrapped by wsTransport, for tests that look at the socket itself. */
async function rawPair() {
  loopback = await startLoopback();
  const raw = loopback.track(new WebSocket(loopback.url, { perMessageDeflate: false }));
  const isOpen = once(raw, 'open');
  const client = opened(wsTransport(raw));
  const serverSocket = await loopback.nextConnection();
  await isOpen;
  return { raw, client, serverSocket };
}

/** For readers whose connection is torn down after the test's assertions. */
const ignore = (): void => {};

function sendAndFlush(socket: WebSocket, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
}

describe('wsTransport / connectWs', () => {
  it('round-trips binary messages byte-exact, including a 4 MiB one, as plain Uint8Arrays', async () => {
    const { client, serverSocket } = await connectPair();
    const server = wsTransport(serverSocket);
    server.messages$.subscribe({ next: (m) => server.send(whole(m)), error: ignore });

    const sizes = [0, 1, 125, 126, 65535, 65536, 4 * 1024 * 1024];
    const echoed = firstValueFrom(client.messages$.pipe(take(sizes.length), toArray()));
    sizes.forEach((size, i) => client.send(patternBytes(size, i + 1)));
    const received = await echoed;

    expect(received.map((m) => whole(m).byteLength)).toEqual(sizes);
    received.forEach((m, i) => expect(Buffer.compare(whole(m), patternBytes(sizes[i], i + 1))).toBe(0));
    expect(received.every((m) => m instanceof Uint8Array && !Buffer.isBuffer(m))).toBe(true);
  });

  it('sendSplit sends one message as two frames: a wisp-rx peer keeps them apart, a plain ws peer gets them joined', async () => {
    const head = Uint8Array.of(0x02, 7, 0, 0, 0);
    const body = patternBytes(70000, 3);
    // A plain ws peer (what wisp-js and most servers run) sees one whole message.
    const first = await connectPair();
    const joined = new Promise<Buffer>((resolve) => first.serverSocket.once('message', (data) => resolve(data as Buffer)));
    expect(first.client.sendSplit!(head, body)).toBe(true);
    expect(Buffer.compare(await joined, Buffer.concat([head, body]))).toBe(0);
    // A wisp-rx peer gets the two frames as they came: views, not a joined copy.
    const second = await connectPair();
    const server = wsTransport(second.serverSocket);
    const received = firstValueFrom(server.messages$);
    second.client.sendSplit!(head, body);
    const message = await received;
    if (!isSplitMessage(message)) throw new Error('expected a split message');
    expect(Array.from(message.head)).toEqual(Array.from(head));
    expect(Buffer.compare(message.body, body)).toBe(0);
    expect(Buffer.isBuffer(message.body)).toBe(false);
  });

  it('joins a message of three or more frames into one buffer, and keeps a one-frame message whole', async () => {
    const { client, serverSocket } = await connectPair();
    const received = firstValueFrom(client.messages$.pipe(take(2), toArray()));
    serverSocket.send(Uint8Array.of(1, 2), { binary: true, fin: false });
    serverSocket.send(Uint8Array.of(3), { binary: true, fin: false });
    serverSocket.send(Uint8Array.of(4, 5), { binary: true, fin: true });
    serverSocket.send(Uint8Array.of(6), { binary: true });
    const [three, one] = await received;
    expect(Array.from(whole(three))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(whole(one))).toEqual([6]);
  });

  it('sends messages queued while the socket is still connecting once it opens', async () => {
    loopback = await startLoopback();
    const raw = loopback.track(new WebSocket(loopback.url, { perMessageDeflate: false }));
    const client = opened(wsTransport(raw));
    expect(raw.readyState).toBe(WebSocket.CONNECTING);
    expect(client.send(new Uint8Array([1, 2]))).toBe(true);
    expect(client.send(new Uint8Array([3]))).toBe(true);
    expect(client.sendSplit!(new Uint8Array([4]), new Uint8Array([5, 6]))).toBe(true); // queued joined
    const server = wsTransport(await loopback.nextConnection());
    const received = await firstValueFrom(server.messages$.pipe(take(3), toArray()));
    expect(received.map((m) => Array.from(whole(m)))).toEqual([[1, 2], [3], [4, 5, 6]]);
  });

  it('holds messages that arrive before messages$ is subscribed, keeping the socket paused meanwhile', async () => {
    const { raw, client, serverSocket } = await rawPair();
    expect(raw.isPaused).toBe(true);
    for (const n of [1, 2, 3]) await sendAndFlush(serverSocket, new Uint8Array([n]));
    await turn();
    const received = firstValueFrom(client.messages$.pipe(take(3), toArray()));
    expect(raw.isPaused).toBe(false);
    expect((await received).map((m) => whole(m)[0])).toEqual([1, 2, 3]);
  });

  it('pause() stops reading and holds delivery until resume()', async () => {
    const { raw, client, serverSocket } = await rawPair();
    const seen: number[] = [];
    let onPaused!: () => void;
    let onAll!: () => void;
    const paused = new Promise<void>((resolve) => (onPaused = resolve));
    const all = new Promise<void>((resolve) => (onAll = resolve));
    client.messages$.subscribe({
      next: (m) => {
        seen.push(whole(m)[0]);
        if (seen.length === 1) {
          client.pause();
          onPaused();
        }
        if (seen.length === 10) onAll();
      },
      error: ignore, // the connection is torn down after the test
    });
    for (let n = 1; n <= 10; n++) serverSocket.send(new Uint8Array([n]));
    await paused;
    await turn();
    await turn();
    expect(raw.isPaused).toBe(true);
    expect(seen).toEqual([1]);
    client.resume();
    await all;
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('errors messages$ with TextFrame on a text message and closes with 1003', async () => {
    const { client, serverSocket } = await connectPair();
    const peerCode = new Promise<number>((resolve) => serverSocket.once('close', (code) => resolve(code)));
    const done = lastValueFrom(client.messages$);
    serverSocket.send('not binary');
    await expect(done).rejects.toMatchObject({ name: 'WispError', code: 'TextFrame' });
    expect(await peerCode).toBe(1003);
    expect(await firstValueFrom(client.closed$)).toMatchObject({ code: 1003 });
  });

  it('returns false when the peer stops reading and emits drain$ after it resumes', async () => {
    const highWaterMark = 256 * 1024;
    const { client, serverSocket } = await connectPair([], { highWaterMark });
    const server = wsTransport(serverSocket);
    let receivedBytes = 0;
    let expectedBytes = Infinity;
    let onAllReceived!: () => void;
    const allReceived = new Promise<void>((resolve) => (onAllReceived = resolve));
    server.messages$.subscribe({
      next: (m) => {
        receivedBytes += whole(m).byteLength;
        if (receivedBytes === expectedBytes) onAllReceived();
      },
      error: ignore,
    });
    server.pause();

    const chunk = new Uint8Array(64 * 1024);
    let sentBytes = 0;
    // Sends within one turn are corked, so a burst may report "full" and then drain into the
    // kernel; keep going until the transport stays blocked across a turn: the peer is full.
    for (let i = 0; i < 4096; i++) {
      const accepted = client.send(chunk);
      sentBytes += chunk.byteLength;
      if (!accepted) {
        await turn();
        if (!client.writable) break;
      }
    }
    expect(client.writable).toBe(false);

    let drained = false;
    const drain = firstValueFrom(client.drain$).then(() => (drained = true));
    await turn();
    expect(drained).toBe(false); // the peer is still not reading

    expectedBytes = sentBytes;
    server.resume();
    await drain;
    expect(client.writable).toBe(true);
    expect(client.send(new Uint8Array(1))).toBe(true);
    expectedBytes += 1;
    await allReceived;
    expect(receivedBytes).toBe(sentBytes + 1);
  });

  it('errors messages$ with TransportClosed when the peer drops the connection', async () => {
    const { client, serverSocket } = await connectPair();
    const done = lastValueFrom(client.messages$);
    serverSocket.terminate();
    await expect(done).rejects.toMatchObject({ code: 'TransportClosed' });
    await expect(done).rejects.toBeInstanceOf(WispError);
    expect(await firstValueFrom(client.closed$)).toEqual({ code: 1006, reason: '', clean: false });
  });

  it('completes messages$ when the peer closes cleanly, after delivering what it sent', async () => {
    const { client, serverSocket } = await connectPair();
    const server = wsTransport(serverSocket);
    const done = lastValueFrom(client.messages$.pipe(toArray()));
    server.send(new Uint8Array([42]));
    server.close(1000, 'bye');
    expect((await done).map((m) => Array.from(whole(m)))).toEqual([[42]]);
    expect(await firstValueFrom(client.closed$)).toEqual({ code: 1000, reason: 'bye', clean: true });
    expect(await firstValueFrom(server.closed$)).toEqual({ code: 1000, reason: 'bye', clean: true });
  });

  it('completes messages$ with code 1000 when we close, and drops later sends', async () => {
    const { client, serverSocket } = await connectPair();
    const peerCode = new Promise<number>((resolve) => serverSocket.once('close', (code) => resolve(code)));
    const done = lastValueFrom(client.messages$.pipe(toArray()));
    client.close();
    client.close(4000, 'ignored: already closing');
    expect(client.send(new Uint8Array([1]))).toBe(false);
    expect(client.writable).toBe(false);
    expect(await done).toEqual([]);
    expect(await firstValueFrom(client.closed$)).toEqual({ code: 1000, reason: '', clean: true });
    expect(await peerCode).toBe(1000);
  });

  it('treats a close frame without a status code (1005) as abnormal', async () => {
    const { client, serverSocket } = await connectPair();
    const done = lastValueFrom(client.messages$);
    serverSocket.close();
    await expect(done).rejects.toMatchObject({ code: 'TransportClosed' });
    expect(await firstValueFrom(client.closed$)).toMatchObject({ code: 1005, clean: false });
  });

  it('reports the wisp-v2 subprotocol when the server accepts it', async () => {
    loopback = await startLoopback({ handleProtocols: (offered) => (offered.has('wisp-v2') ? 'wisp-v2' : false) });
    const { client, serverSocket } = await connectPair(['wisp-v2']);
    expect(client.protocol).toBe('wisp-v2');
    expect(wsTransport(serverSocket).protocol).toBe('wisp-v2');
    const { client: plain } = await connectPair([]);
    expect(plain.protocol).toBe('');
  });

  it('rejects with TransportError when nothing listens on the port', async () => {
    const port = await closedPort();
    await expect(connectWs(`ws://127.0.0.1:${port}/`, [])).rejects.toMatchObject({
      name: 'WispError',
      code: 'TransportError',
      cause: objectContaining({ code: 'ECONNREFUSED' }),
    });
  });

  it('rejects with TransportError when the server refuses the upgrade', async () => {
    loopback = await startLoopback({ verifyClient: () => false });
    await expect(connectWs(loopback.url, [])).rejects.toMatchObject({ code: 'TransportError', message: stringMatching(/401/) });
  });

  it('rejects with TransportError when the handshake times out', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    try {
      await expect(connectWs(`ws://127.0.0.1:${port}/`, [], { handshakeTimeoutMs: 50 })).rejects.toMatchObject({
        code: 'TransportError',
        message: stringMatching(/timed out/),
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('fits TransportConnector, bare or with options applied', () => {
    const bare: TransportConnector = connectWs;
    const configured: TransportConnector = (url, protocols) => connectWs(url, protocols, { handshakeTimeoutMs: 1000 });
    expect([bare, configured].every((c) => typeof c === 'function')).toBe(true);
  });

  it('rejects with InvalidArgument for a malformed URL', async () => {
    await expect(connectWs('not a url', [])).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
