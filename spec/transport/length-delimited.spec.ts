/** Wisp over a length-delimited byte stream (TCP and Unix sockets on this machine only). */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { connectLengthDelimited, isLengthDelimitedUrl, lengthDelimitedTransport } from '../../lib/transport/length-delimited';
import type { Transport } from '../../lib/transport/transport';
import { within } from '../mux/helpers';
import '../../lib/node'; // registers the Node default connector (ws, tcp://, unix:)

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A listener whose accepted sockets become length-delimited transports. */
async function listen(where: { port: number; host: string } | { path: string }, maxPacketSize?: number) {
  const accepted: Transport[] = [];
  const sockets: net.Socket[] = [];
  const waiting: ((t: Transport) => void)[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const transport = lengthDelimitedTransport(socket, maxPacketSize ? { maxPacketSize } : {});
    const waiter = waiting.shift();
    if (waiter) waiter(transport);
    else accepted.push(transport);
  });
  await new Promise<void>((resolve) => server.listen(where, resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return {
    url: typeof address === 'string' ? `unix:${address}` : `tcp://127.0.0.1:${(address as net.AddressInfo).port}`,
    port: typeof address === 'string' ? 0 : (address as net.AddressInfo).port,
    sockets,
    next: (): Promise<Transport> => {
      const ready = accepted.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** An echo ServerMux on each accepted transport. */
function serveEcho(transport: Transport): ServerMux {
  const mux = ServerMux.accept(transport);
  mux.streams$.subscribe({
    next: ({ stream }) => {
      stream.data$.subscribe({ next: (chunk) => void stream.write(chunk).catch(() => undefined), error: () => undefined });
    },
    error: () => undefined,
  });
  cleanup.push(() => mux.close());
  return mux;
}

async function echo(stream: MuxStream, size: number): Promise<Uint8Array> {
  const sent = new Uint8Array(size);
  for (let i = 0; i < size; i++) sent[i] = (i * 7 + 3) & 0xff;
  const got: Uint8Array[] = [];
  let n = 0;
  const done = new Promise<void>((resolve, reject) =>
    stream.data$.subscribe({
      next: (chunk) => {
        got.push(chunk);
        if ((n += chunk.length) >= size) resolve();
      },
      error: reject,
    }),
  );
  await stream.write(sent);
  await within(done, 10_000, 'the echo');
  // Buffer.equals: jest's toEqual walks 4 MiB element by element for a minute.
  expect(Buffer.concat(got).equals(Buffer.from(sent))).toBe(true);
  return sent;
}

describe('length-delimited transport', () => {
  it('runs Wisp v1 over TCP: handshake, streams, a 4 MiB echo (packets cut across TCP reads)', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1' });
    const connecting = connectLengthDelimited(server.url);
    serveEcho(await server.next());
    const mux = await ClientMux.connect(await connecting, { v2: false });
    cleanup.push(() => mux.close());
    expect(mux.version).toEqual({ major: 1, minor: 0 });
    const [a, b] = await Promise.all([mux.open('tcp', 'example.test', 1), mux.open('tcp', 'example.test', 2)]);
    await Promise.all([echo(a, 4 * 1024 * 1024), echo(b, 1000)]);
  });

  it('ClientMux.connect("tcp://…") from wisp-rx/node picks this carrier; a v2 client sees a downgrade', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1' });
    const connecting = ClientMux.connect(server.url);
    serveEcho(await server.next());
    const mux = await connecting;
    cleanup.push(() => mux.close());
    expect(mux.downgraded).toBe(true);
    await echo(await mux.open('tcp', 'example.test', 1), 10_000);
  });

  it('runs over a Unix socket', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-ld-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await listen({ path: path.join(dir, 'wisp.sock') });
    expect(server.url.startsWith('unix:')).toBe(true);
    const connecting = connectLengthDelimited(server.url);
    serveEcho(await server.next());
    const mux = await ClientMux.connect(await connecting, { v2: false });
    cleanup.push(() => mux.close());
    await echo(await mux.open('tcp', 'example.test', 1), 100_000);
  });

  it('a paused reader stops reading the socket, so the peer feels backpressure; then every message arrives', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1' });
    const client = await connectLengthDelimited(server.url, { highWaterMark: 64 * 1024 });
    const peer = await server.next();
    cleanup.push(() => client.close());
    const received: number[] = [];
    const reading = peer.messages$.subscribe({ next: (m) => received.push((m as Uint8Array).length), error: () => undefined });
    peer.pause();
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    while (client.send(chunk) && sent < 4096) sent++;
    expect(sent).toBeLessThan(4096); // the sender was told to stop
    // Paused means the socket itself stops reading (TCP pushes back), not just held messages.
    expect(server.sockets[0].isPaused()).toBe(true);
    peer.resume();
    expect(server.sockets[0].isPaused()).toBe(false);
    await within(firstValueFrom(client.drain$), 10_000, 'drain after resume');
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => (received.length >= sent + 1 ? resolve() : void setImmediate(check));
        check();
      }),
      10_000,
      'every message',
    );
    expect(received.every((n) => n === chunk.length)).toBe(true);
    reading.unsubscribe();
  });

  it('a clean close completes messages$ on both ends with code 1000', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1' });
    const client = await connectLengthDelimited(server.url);
    const peer = await server.next();
    const all = lastValueFrom(peer.messages$.pipe(toArray()));
    client.send(new Uint8Array([1, 2, 3]));
    client.close();
    expect((await within(all, 5000, 'the end')).map((m) => [...(m as Uint8Array)])).toEqual([[1, 2, 3]]);
    expect(await firstValueFrom(peer.closed$)).toMatchObject({ code: 1000, clean: true });
    expect(await firstValueFrom(client.closed$)).toMatchObject({ code: 1000, clean: true });
  });

  it('refuses a declared length over maxPacketSize with PacketTooLarge, and a FIN inside a packet as an error', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1' }, 1024);
    for (const bytes of [[0x01, 0x04, 0, 0], [0x10, 0, 0, 0, 1, 2]]) {
      const raw = net.connect(server.port, '127.0.0.1');
      const peer = await server.next();
      const failure = firstValueFrom(peer.messages$).then(
        () => undefined,
        (error: unknown) => error,
      );
      raw.end(Buffer.from(bytes));
      const error = await within(failure, 5000, 'the failure');
      expect(error).toMatchObject({ name: 'WispError', code: bytes.length === 4 ? 'PacketTooLarge' : 'TransportError' });
      raw.destroy();
    }
  });

  it('takes tcp:// and unix: URLs and refuses others', async () => {
    expect(['tcp://127.0.0.1:1', 'unix:/tmp/x', 'ws://h/'].map(isLengthDelimitedUrl)).toEqual([true, true, false]);
    await expect(connectLengthDelimited('tcp://127.0.0.1')).rejects.toMatchObject({ code: 'InvalidArgument' });
    const { port } = await listen({ port: 0, host: '127.0.0.1' });
    cleanup.splice(0).forEach((step) => void step()); // close it: nothing listens now
    await expect(connectLengthDelimited(`tcp://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'TransportError' });
  });
});
