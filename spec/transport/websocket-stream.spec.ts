/**
 * The WebSocketStream transport against a fake WebSocketStream built from Node's WHATWG
 * streams: reads follow pause/resume (the source is pulled only while flowing), writes count
 * as buffered until they settle, and closes map onto messages$ / closed$ as for the other
 * socket transports. The Chromium suite runs it against the real API.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { connectWebSocketStream, webSocketStreamTransport, type WebSocketStreamConstructor, type WebSocketStreamLike } from '../../lib/transport/websocket-stream';
import { defaultConnector, setDefaultConnector } from '../../lib/transport/default-connector';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { failTest } from '../observers';
import { virtualDelivery } from '../mux/helpers';

type Chunk = ArrayBuffer | string;

/**
 * A fake socket: `incoming` is what the server sends; writes wait for `settleWrites()`. Each
 * read the transport asks for is answered through a virtual-time scheduler, so `quiesce()`
 * ends when the transport has no read outstanding: "it stopped reading" is a fact about an
 * empty queue, not a guess after some microtask turns.
 */
class FakeSocket implements WebSocketStreamLike {
  readonly opened: Promise<{ readable: ReadableStream<Chunk>; writable: WritableStream<Uint8Array>; protocol: string }>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  readonly written: Uint8Array[] = [];
  /** How many messages the transport pulled out of the readable. */
  pulled = 0;
  closeCalls: { closeCode?: number; reason?: string }[] = [];
  private readonly pendingWrites: (() => void)[] = [];
  private controller!: ReadableStreamDefaultController<Chunk>;
  private resolveOpen!: (value: { readable: ReadableStream<Chunk>; writable: WritableStream<Uint8Array>; protocol: string }) => void;
  private rejectOpen!: (error: unknown) => void;
  private resolveClosed!: (info: { closeCode?: number; reason?: string }) => void;
  private rejectClosed!: (error: unknown) => void;
  private readonly time = virtualDelivery();

  constructor(private readonly incoming: Chunk[] = []) {
    this.opened = new Promise((resolve, reject) => ((this.resolveOpen = resolve), (this.rejectOpen = reject)));
    this.closed = new Promise((resolve, reject) => ((this.resolveClosed = resolve), (this.rejectClosed = reject)));
    this.opened.catch(() => undefined);
    this.closed.catch(() => undefined);
  }

  open(protocol = 'wisp-v2'): void {
    // highWaterMark 0: a chunk leaves `incoming` only when the transport reads, as a real
    // socket's data stays in the kernel until the browser reads it.
    const readable = new ReadableStream<Chunk>(
      {
        start: (controller) => void (this.controller = controller),
        pull: (controller) =>
          new Promise<void>((resolve) =>
            this.time.scheduler.schedule(() => {
              const next = this.incoming.shift();
              if (next !== undefined) {
                this.pulled++;
                controller.enqueue(next);
              }
              resolve();
            }),
          ),
      },
      { highWaterMark: 0 },
    );
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => new Promise<void>((resolve) => this.pendingWrites.push(() => (this.written.push(chunk), resolve()))),
    });
    this.resolveOpen({ readable, writable, protocol });
  }

  failOpen(): void {
    const error = Object.assign(new Error('refused'), { closeCode: 1006 });
    this.rejectOpen(error);
    this.rejectClosed(error);
  }

  /** The peer closes cleanly: the readable ends after what is left, then `closed` resolves. */
  peerClose(closeCode = 1000, reason = 'bye'): void {
    for (const chunk of this.incoming.splice(0)) this.controller.enqueue(chunk);
    this.controller.close();
    this.resolveClosed({ closeCode, reason });
  }

  drop(): void {
    const error = Object.assign(new Error('dropped'), { closeCode: 1006 });
    this.controller.error(error);
    this.rejectClosed(error);
  }

  /** Runs every read the transport asked for, and what those cause, until none is left. */
  quiesce(): Promise<void> {
    return this.time.quiesce();
  }

  /** Settles every write, including those the writable hands over only after earlier ones settle. */
  async settleWrites(): Promise<void> {
    await this.quiesce();
    while (this.pendingWrites.length > 0) {
      for (const settle of this.pendingWrites.splice(0)) settle();
      await this.quiesce();
    }
  }

  close(info?: { closeCode?: number; reason?: string }): void {
    this.closeCalls.push(info ?? {});
  }
}

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const first = (message: TransportMessage) => (message as Uint8Array)[0];

describe('webSocketStreamTransport', () => {
  it('delivers messages in order, reports the protocol and writes what is sent', async () => {
    const socket = new FakeSocket([bytes(1), bytes(2), bytes(3)]);
    const transport = webSocketStreamTransport(socket);
    const received = firstValueFrom(transport.messages$.pipe(toArray()));
    socket.open('wisp-v2');
    await socket.quiesce();
    expect(transport.protocol).toBe('wisp-v2');
    expect(transport.send(new Uint8Array([9]))).toBe(true);
    await socket.settleWrites();
    socket.peerClose();
    expect((await received).map(first)).toEqual([1, 2, 3]);
    expect(socket.written.map((m) => m[0])).toEqual([9]);
    expect(await firstValueFrom(transport.closed$)).toEqual({ code: 1000, reason: 'bye', clean: true });
  });

  it('stops reading the socket while paused and reads on after resume', async () => {
    const socket = new FakeSocket(Array.from({ length: 100 }, (_, i) => bytes(i)));
    const transport = webSocketStreamTransport(socket);
    const seen: number[] = [];
    transport.messages$.subscribe({
      next: (m) => {
        seen.push(first(m));
        if (seen.length === 3) transport.pause();
      },
      error: failTest,
    });
    socket.open();
    await socket.quiesce(); // no read outstanding: the transport stopped asking
    // At most the read already pending when pause() ran leaves the socket.
    expect(socket.pulled).toBeLessThanOrEqual(4);
    expect(seen).toEqual([0, 1, 2]);
    transport.resume();
    await socket.quiesce();
    expect(socket.pulled).toBe(100);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('holds messages until subscribed without reading ahead', async () => {
    const socket = new FakeSocket([bytes(1), bytes(2)]);
    const transport = webSocketStreamTransport(socket);
    socket.open();
    await socket.quiesce();
    expect(socket.pulled).toBe(0);
    const received = firstValueFrom(transport.messages$.pipe(toArray()));
    await socket.quiesce();
    socket.peerClose();
    expect((await received).map(first)).toEqual([1, 2]);
  });

  it('a clean close while paused still delivers everything, then completes', async () => {
    const socket = new FakeSocket([bytes(1), bytes(2), bytes(3)]);
    const transport = webSocketStreamTransport(socket);
    const seen: number[] = [];
    let completed = false;
    transport.messages$.subscribe({ next: (m) => (seen.push(first(m)), transport.pause()), complete: () => (completed = true), error: failTest });
    socket.open();
    await socket.quiesce();
    socket.peerClose(1000, '');
    await socket.quiesce();
    expect(completed).toBe(false);
    expect(seen).toEqual([1]);
    transport.resume();
    await socket.quiesce();
    transport.resume();
    await socket.quiesce();
    expect(seen).toEqual([1, 2, 3]);
    expect(completed).toBe(true);
  });

  it('send returns false above the high water mark and drain$ fires once writes settle', async () => {
    const socket = new FakeSocket();
    const transport = webSocketStreamTransport(socket, { highWaterMark: 10 });
    transport.messages$.subscribe({ error: () => undefined });
    // Sends while connecting are held and written on open.
    expect(transport.send(new Uint8Array(8))).toBe(true);
    socket.open();
    await socket.quiesce();
    expect(transport.send(new Uint8Array(8))).toBe(false);
    expect(transport.writable).toBe(false);
    const drained = firstValueFrom(transport.drain$);
    await socket.quiesce();
    await socket.settleWrites();
    await drained;
    expect(transport.writable).toBe(true);
    expect(socket.written.map((m) => m.byteLength)).toEqual([8, 8]);
  });

  it('a dropped socket errors messages$ and reports an unclean close', async () => {
    const socket = new FakeSocket();
    const transport = webSocketStreamTransport(socket);
    const received = firstValueFrom(transport.messages$.pipe(toArray()));
    socket.open();
    await socket.quiesce();
    socket.drop();
    await expect(received).rejects.toMatchObject({ name: 'WispError', code: 'TransportError' });
    expect(await firstValueFrom(transport.closed$)).toMatchObject({ code: 1006, clean: false });
  });

  it('a text message is a TextFrame error and closes with 1003', async () => {
    const socket = new FakeSocket(['hello']);
    const transport = webSocketStreamTransport(socket);
    const received = firstValueFrom(transport.messages$);
    const failed = expect(received).rejects.toMatchObject({ code: 'TextFrame' });
    socket.open();
    await socket.quiesce();
    await failed;
    expect(socket.closeCalls).toEqual([{ closeCode: 1003, reason: 'binary frames only' }]);
  });

  it('close() sends the code and reason once', () => {
    const socket = new FakeSocket();
    const transport = webSocketStreamTransport(socket);
    transport.close(4000, 'done');
    transport.close();
    expect(socket.closeCalls).toEqual([{ closeCode: 4000, reason: 'done' }]);
  });
});

describe('connectWebSocketStream', () => {
  const make = (socket: FakeSocket, calls: unknown[][]): WebSocketStreamConstructor =>
    function Fake(this: unknown, ...args: unknown[]) {
      calls.push(args);
      return socket;
    } as unknown as WebSocketStreamConstructor;

  it('resolves with an open transport, offering the protocols', async () => {
    const socket = new FakeSocket();
    const calls: unknown[][] = [];
    const connecting = connectWebSocketStream('ws://127.0.0.1:1/', ['wisp-v2'], { WebSocketStream: make(socket, calls) });
    socket.open('wisp-v2');
    const transport: Transport = await connecting;
    expect(transport.protocol).toBe('wisp-v2');
    expect(calls).toEqual([['ws://127.0.0.1:1/', { protocols: ['wisp-v2'] }]]);
  });

  it('rejects with TransportError when the connection fails', async () => {
    const socket = new FakeSocket();
    const connecting = connectWebSocketStream('ws://127.0.0.1:1/', [], { WebSocketStream: make(socket, []) });
    socket.failOpen();
    await expect(connecting).rejects.toMatchObject({ name: 'WispError', code: 'TransportError' });
  });

  it('rejects with Unsupported without a constructor, InvalidArgument when it throws', async () => {
    await expect(connectWebSocketStream('ws://127.0.0.1:1/', [])).rejects.toMatchObject({ code: 'Unsupported' });
    const throwing = function () {
      throw new SyntaxError('bad url');
    } as unknown as WebSocketStreamConstructor;
    await expect(connectWebSocketStream('nope', [], { WebSocketStream: throwing })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('defaultConnector with WebSocketStream', () => {
  const global = globalThis as { WebSocketStream?: unknown };
  afterEach(() => {
    delete global.WebSocketStream;
    setDefaultConnector(undefined);
  });

  it('prefers the platform WebSocketStream when there is one', async () => {
    const socket = new FakeSocket();
    const calls: string[] = [];
    global.WebSocketStream = function (url: string) {
      calls.push(url);
      return socket;
    };
    const connecting = defaultConnector()('ws://127.0.0.1:1/', []);
    socket.open('');
    await connecting;
    expect(calls).toEqual(['ws://127.0.0.1:1/']);
  });
});
