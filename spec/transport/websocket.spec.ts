import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { WebSocket as WsWebSocket } from 'ws';
import { DRAIN_POLL_INTERVAL_MS, connectWebSocket, webSocketTransport } from '../../lib/transport/websocket';
import { wsTransport } from '../../lib/transport/ws';
import type { Transport, TransportConnector } from '../../lib/transport/transport';
import { closedPort, patternBytes, startLoopback, whole, type Loopback } from './loopback';

// Node 20 has no global WebSocket; `ws`'s class implements the standard surface
// (addEventListener, binaryType 'arraybuffer', bufferedAmount, CloseEvent.wasClean).
const StandardWebSocket = WsWebSocket as unknown as typeof WebSocket;

let loopback: Loopback | undefined;
let transports: Transport[] = [];

afterEach(async () => {
  await loopback?.close();
  await Promise.all(transports.map((t) => firstValueFrom(t.closed$)));
  loopback = undefined;
  transports = [];
  jest.restoreAllMocks();
});

const ignore = (): void => {};

async function connectPair(options: { highWaterMark?: number; protocols?: string[] } = {}) {
  loopback ??= await startLoopback();
  const connecting = connectWebSocket(loopback.url, options.protocols ?? [], {
    WebSocket: StandardWebSocket,
    ...(options.highWaterMark !== undefined && { highWaterMark: options.highWaterMark }),
  });
  const serverSocket = await loopback.nextConnection();
  const client = await connecting;
  transports.push(client);
  return { client, serverSocket };
}

/** Calls to setInterval made by the drain poll (identified by its interval). */
function drainPollSpies() {
  const set = jest.spyOn(globalThis, 'setInterval');
  const clear = jest.spyOn(globalThis, 'clearInterval');
  const pollHandles = (): unknown[] =>
    set.mock.calls.flatMap((call, i): unknown[] => (call[1] === DRAIN_POLL_INTERVAL_MS ? [set.mock.results[i].value] : []));
  return { clear, pollHandles };
}

/** Fills the client's buffer while the server transport is paused; returns bytes sent. */
function sendUntilBlocked(client: Transport): number {
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  for (let i = 0; i < 4096; i++) {
    sent += chunk.byteLength;
    if (!client.send(chunk)) return sent;
  }
  throw new Error('send never reported backpressure');
}

describe('webSocketTransport / connectWebSocket (standard WebSocket API)', () => {
  it('round-trips binary messages byte-exact as zero-copy Uint8Arrays, with no timer when not blocked', async () => {
    const { pollHandles } = drainPollSpies();
    loopback = await startLoopback();
    const socket = new StandardWebSocket(loopback.url);
    const client = webSocketTransport(socket);
    transports.push(client);
    const delivered: unknown[] = [];
    socket.addEventListener('message', (event) => delivered.push(event.data));
    const isOpen = new Promise((resolve) => socket.addEventListener('open', resolve));

    const sizes = [1, 125, 65536, 1024 * 1024];
    const echoed = firstValueFrom(client.messages$.pipe(take(sizes.length), toArray()));
    expect(socket.readyState).toBe(StandardWebSocket.CONNECTING);
    expect(client.send(patternBytes(sizes[0], 7))).toBe(true); // held until open
    const server = wsTransport(await loopback.nextConnection());
    server.messages$.subscribe({ next: (m) => server.send(whole(m)), error: ignore });
    await isOpen;
    sizes.slice(1).forEach((size, i) => expect(client.send(patternBytes(size, i + 8))).toBe(true));
    const received = await echoed;

    expect(received.map((m) => whole(m).byteLength)).toEqual(sizes);
    received.forEach((m, i) => expect(Buffer.compare(whole(m), patternBytes(sizes[i], i + 7))).toBe(0));
    // Each message is a view over the very ArrayBuffer the socket delivered.
    received.forEach((m, i) => expect(whole(m).buffer).toBe(delivered[i]));
    expect(pollHandles()).toEqual([]);
  });

  it('errors messages$ with TextFrame on a text message and closes with 1003', async () => {
    const { client, serverSocket } = await connectPair();
    const peerCode = new Promise<number>((resolve) => serverSocket.once('close', (code) => resolve(code)));
    const done = lastValueFrom(client.messages$);
    serverSocket.send('not binary');
    await expect(done).rejects.toMatchObject({ name: 'WispError', code: 'TextFrame' });
    expect(await peerCode).toBe(1003);
  });

  it('reports the agreed subprotocol', async () => {
    loopback = await startLoopback({ handleProtocols: (offered) => (offered.has('wisp-v2') ? 'wisp-v2' : false) });
    const { client } = await connectPair({ protocols: ['wisp-v2'] });
    expect(client.protocol).toBe('wisp-v2');
  });

  it('polls bufferedAmount only while blocked and clears the timer once drained', async () => {
    const { clear, pollHandles } = drainPollSpies();
    const { client, serverSocket } = await connectPair({ highWaterMark: 256 * 1024 });
    const server = wsTransport(serverSocket);
    server.messages$.subscribe({ error: ignore });
    server.pause();

    sendUntilBlocked(client);
    expect(client.writable).toBe(false);
    const [handle] = pollHandles();
    expect(pollHandles()).toHaveLength(1);
    expect(clear).not.toHaveBeenCalledWith(handle);

    const drained = firstValueFrom(client.drain$);
    server.resume();
    await drained;
    expect(client.writable).toBe(true);
    expect(clear).toHaveBeenCalledWith(handle);
    expect(pollHandles()).toHaveLength(1);
  });

  it('clears the drain poll timer when the connection drops while blocked', async () => {
    const { clear, pollHandles } = drainPollSpies();
    const { client, serverSocket } = await connectPair({ highWaterMark: 256 * 1024 });
    const server = wsTransport(serverSocket);
    server.messages$.subscribe({ error: ignore });
    server.pause();
    const done = lastValueFrom(client.messages$);

    sendUntilBlocked(client);
    const [handle] = pollHandles();
    expect(handle).toBeDefined();
    expect(clear).not.toHaveBeenCalledWith(handle); // still blocked: only the drop below may clear it

    serverSocket.terminate();
    await expect(done).rejects.toMatchObject({ code: 'TransportClosed' });
    expect(await firstValueFrom(client.closed$)).toMatchObject({ code: 1006, clean: false });
    expect(clear).toHaveBeenCalledWith(handle);
  });

  it('completes messages$ on a clean close', async () => {
    const { client, serverSocket } = await connectPair();
    const done = lastValueFrom(client.messages$.pipe(toArray()));
    serverSocket.close(1001, 'going away');
    expect(await done).toEqual([]);
    expect(await firstValueFrom(client.closed$)).toEqual({ code: 1001, reason: 'going away', clean: true });
  });

  it('rejects with TransportError when nothing listens on the port', async () => {
    const port = await closedPort();
    await expect(connectWebSocket(`ws://127.0.0.1:${port}/`, [], { WebSocket: StandardWebSocket })).rejects.toMatchObject({
      name: 'WispError',
      code: 'TransportError',
    });
  });

  it('fits TransportConnector with options applied', () => {
    const connector: TransportConnector = (url, protocols) => connectWebSocket(url, protocols, { WebSocket: StandardWebSocket });
    expect(typeof connector).toBe('function');
  });

  it('rejects with Unsupported when there is no WebSocket constructor', async () => {
    const global = globalThis as { WebSocket?: unknown };
    const had = Object.prototype.hasOwnProperty.call(global, 'WebSocket');
    const original = global.WebSocket;
    global.WebSocket = undefined; // Node 22+ has one
    try {
      await expect(connectWebSocket('ws://127.0.0.1:1/', [])).rejects.toMatchObject({ code: 'Unsupported' });
    } finally {
      if (had) global.WebSocket = original;
      else delete global.WebSocket;
    }
  });
});
