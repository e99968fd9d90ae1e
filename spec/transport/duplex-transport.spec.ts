/**
 * duplexTransport over real loopback TCP and TLS sockets (127.0.0.1 only): bytes both ways,
 * backpressure through the kernel, clean close, reset, and the close deadline.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connectTcp, connectTls, duplexTransport, type DuplexTransportOptions } from '../../lib/transport/duplex-transport';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { thrownBy } from '../matchers';
import { selfSignedCertificate } from '../support/certificates';
import { settled, within } from '../support/within';
import { patternBytes } from './loopback';

const MiB = 1024 * 1024;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Listener {
  readonly port: number;
  /** The next accepted socket, in arrival order. */
  next(): Promise<net.Socket>;
}

async function listen(server: net.Server, event: 'connection' | 'secureConnection' = 'connection'): Promise<Listener> {
  const accepted: net.Socket[] = [];
  const waiting: ((socket: net.Socket) => void)[] = [];
  const sockets: net.Socket[] = [];
  server.on(event, (socket: net.Socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined); // the transports under test report errors; raw ends must not crash
    const waiter = waiting.shift();
    if (waiter) waiter(socket);
    else accepted.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => {
      const ready = accepted.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** A connected pair over TCP: [client transport, server transport, server's raw socket]. */
async function tcpPair(client: DuplexTransportOptions = {}, server: DuplexTransportOptions = {}): Promise<[Transport, Transport, net.Socket]> {
  const listener = await listen(net.createServer());
  const connecting = connectTcp('127.0.0.1', listener.port, client);
  const socket = await listener.next();
  const serverEnd = duplexTransport(socket, server);
  const clientEnd = await connecting;
  cleanup.push(() => clientEnd.close(), () => serverEnd.close());
  return [clientEnd, serverEnd, socket];
}

interface Digest {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Reads a transport: `reached` resolves with the count and SHA-256 of what arrived once
 * `expected` bytes have (a local close discards what arrives after it, so a test waits for
 * its bytes before closing), `ended` the same once messages$ completes; both reject as it errors.
 */
function receive(transport: Transport, expected = Infinity): { reached: Promise<Digest>; ended: Promise<Digest> } {
  const hash = createHash('sha256');
  let bytes = 0;
  let reach: (digest: Digest) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const reached = new Promise<Digest>((resolve, reject) => ((reach = resolve), (fail = reject)));
  const ended = new Promise<Digest>((resolve, reject) => {
    transport.messages$.subscribe({
      next: (chunk: TransportMessage) => {
        const view = chunk as Uint8Array;
        hash.update(view);
        if ((bytes += view.length) >= expected) reach({ bytes, sha256: hash.copy().digest('hex') });
      },
      error: (error: unknown) => (reject(error), fail(error)),
      complete: () => {
        const digest = { bytes, sha256: hash.digest('hex') };
        reach(digest);
        resolve(digest);
      },
    });
  });
  reached.catch(() => undefined); // a test awaits one or the other; neither may go unhandled
  ended.catch(() => undefined);
  return { reached, ended };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Sends `data` in `chunk`-byte pieces, waiting for drain$ whenever send says to stop. */
async function pump(transport: Transport, data: Uint8Array, chunk = 64 * 1024): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) {
    if (!transport.send(data.subarray(at, at + chunk))) await within(firstValueFrom(transport.drain$), 10_000, 'drain$');
  }
}

describe('duplexTransport over loopback TCP', () => {
  it('carries several MiB both ways at once, byte-exact (SHA-256), then closes cleanly on both ends', async () => {
    const [client, server] = await tcpPair({ highWaterMark: 256 * 1024 });
    expect([client.framing, server.framing, client.protocol]).toEqual(['bytes', 'bytes', '']);
    const up = patternBytes(6 * MiB, 1);
    const down = patternBytes(5 * MiB + 7, 2);
    const atServer = receive(server, up.length);
    const atClient = receive(client, down.length);
    await Promise.all([pump(client, up, 60_000), pump(server, down, 100_003)]);
    expect(await within(atServer.reached, 10_000, 'the upload')).toEqual({ bytes: up.length, sha256: sha256(up) });
    expect(await within(atClient.reached, 10_000, 'the download')).toEqual({ bytes: down.length, sha256: sha256(down) });
    client.close();
    expect(await within(atServer.ended, 5000, "the server's end")).toMatchObject({ bytes: up.length });
    expect(await within(atClient.ended, 5000, "the client's end")).toMatchObject({ bytes: down.length });
    expect(await firstValueFrom(client.closed$)).toEqual({ code: 1000, reason: '', clean: true });
    expect(await firstValueFrom(server.closed$)).toEqual({ code: 1000, reason: '', clean: true });
    expect(client.send(new Uint8Array(1))).toBe(false);
  });

  it('a paused reader stops reading the socket: send() turns false, the bytes accepted stay bounded, resume delivers them all', async () => {
    const mark = 256 * 1024;
    const [client, server, serverSocket] = await tcpPair({ highWaterMark: mark });
    let delivered = 0;
    const hash = createHash('sha256');
    let expected = Infinity;
    const all = new Promise<void>((resolve, reject) => {
      server.messages$.subscribe({
        next: (chunk) => {
          hash.update(chunk as Uint8Array);
          if ((delivered += (chunk as Uint8Array).length) >= expected) resolve();
        },
        error: reject,
      });
    });
    all.catch(() => undefined); // awaited below; a failure before then must not be unhandled
    server.pause();

    // Send until the kernel buffers on both sides are full: drain$ stops coming. A drain$
    // that does not come within the probe time is the stall this test is about (a wrong
    // implementation keeps draining, up to the cap, and fails the bound below).
    const chunk = patternBytes(64 * 1024, 3);
    const sent: Uint8Array[] = [];
    let accepted = 0;
    const cap = 256 * MiB;
    let stalled = false;
    while (!stalled && accepted < cap) {
      let more = true;
      while (more && accepted < cap) {
        more = client.send(chunk);
        sent.push(chunk);
        accepted += chunk.length;
      }
      stalled = 'error' in (await settled(within(firstValueFrom(client.drain$), 500, 'drain$ while paused')));
    }
    expect(stalled).toBe(true);
    expect(client.writable).toBe(false);
    expect(serverSocket.isPaused()).toBe(true);
    expect(delivered).toBe(0); // nothing reached the paused reader
    // Bounded: our mark + Node's socket buffers + the kernel's send and receive buffers.
    expect(accepted).toBeLessThan(16 * MiB);
    console.info(`duplexTransport backpressure: ${(accepted / MiB).toFixed(2)} MiB accepted by send() before the stall (mark ${mark / 1024} KiB)`);

    expected = accepted;
    const drained = firstValueFrom(client.drain$);
    server.resume();
    expect(serverSocket.isPaused()).toBe(false);
    await within(drained, 10_000, 'drain$ after resume');
    await within(all, 10_000, 'every byte after resume');
    expect(delivered).toBe(accepted);
    const want = createHash('sha256');
    for (const part of sent) want.update(part);
    expect(hash.digest('hex')).toBe(want.digest('hex'));
  });

  it("the peer's FIN completes messages$ after its last bytes, and is answered with ours", async () => {
    const listener = await listen(net.createServer({ allowHalfOpen: true }));
    const client = await connectTcp('127.0.0.1', listener.port);
    const raw = await listener.next();
    const received = receive(client).ended;
    const data = patternBytes(300_000, 4);
    const answered = new Promise<void>((resolve) => raw.once('end', resolve));
    raw.resume();
    raw.end(data);
    expect(await within(received, 5000, 'messages$ to complete')).toEqual({ bytes: data.length, sha256: sha256(data) });
    await within(answered, 5000, 'our FIN in answer');
    expect(await within(firstValueFrom(client.closed$), 5000, 'closed$')).toMatchObject({ code: 1000, clean: true });
  });

  it('a reset by the peer errors messages$ with TransportClosed (closed$ not clean)', async () => {
    const listener = await listen(net.createServer());
    const raw = net.connect(listener.port, '127.0.0.1');
    raw.on('error', () => undefined);
    const server = duplexTransport(await listener.next());
    const outcome = settled(lastValueFrom(server.messages$));
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.resetAndDestroy();
    expect(await within(outcome, 5000, 'the error')).toMatchObject({ error: { name: 'WispError', code: 'TransportClosed' } });
    expect(await firstValueFrom(server.closed$)).toMatchObject({ code: 1006, clean: false, reason: expect.stringContaining('reset') as unknown });
  });

  it('destroying the socket before the end is an abnormal close (TransportClosed)', async () => {
    const [client, , serverSocket] = await tcpPair();
    const outcome = settled(lastValueFrom(client.messages$));
    serverSocket.resetAndDestroy();
    expect(await within(outcome, 5000, 'the error')).toMatchObject({ error: { code: 'TransportClosed' } });

    const [, server, socket] = await tcpPair();
    const local = settled(lastValueFrom(server.messages$));
    socket.destroy();
    expect(await within(local, 5000, 'the local error')).toMatchObject({ error: { code: 'TransportClosed' } });
    expect(await firstValueFrom(server.closed$)).toMatchObject({ clean: false });
  });

  it('close() flushes queued writes, half-closes, and destroys after closeDeadlineMs when the peer never ends', async () => {
    const listener = await listen(net.createServer({ allowHalfOpen: true }));
    const client = await connectTcp('127.0.0.1', listener.port, { closeDeadlineMs: 150 });
    const raw = await listener.next();
    let got = 0;
    raw.on('data', (chunk: Buffer) => (got += chunk.length));
    const peerSawEnd = new Promise<void>((resolve) => raw.once('end', resolve)); // and never answers
    const messages = settled(lastValueFrom(client.messages$));
    const data = patternBytes(2 * MiB, 5);
    client.send(data);
    const started = Date.now();
    client.close();
    await within(peerSawEnd, 5000, 'our FIN');
    expect(got).toBe(data.length); // every queued byte went out before the FIN
    const closed = await within(firstValueFrom(client.closed$), 5000, 'closed$ after the deadline');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(closed).toMatchObject({ code: 1006, clean: false, reason: expect.stringContaining('did not end within 150 ms') as unknown });
    expect(await messages).toMatchObject({ error: { code: 'TransportClosed' } });
  });

  it('connectTcp rejects with TransportError when nothing listens; options are checked', async () => {
    const listener = await listen(net.createServer());
    const port = listener.port;
    await cleanup.pop()!(); // close it: nothing listens on the port now
    await expect(connectTcp('127.0.0.1', port)).rejects.toMatchObject({ code: 'TransportError' });
    expect(thrownBy(() => duplexTransport(new net.Socket(), { closeDeadlineMs: -1 }))).toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('duplexTransport over loopback TLS', () => {
  it('carries several MiB both ways (SHA-256) over connectTls and a tls.Server socket, then closes cleanly', async () => {
    const certificate = selfSignedCertificate();
    cleanup.push(() => fs.rmSync(certificate.dir, { recursive: true, force: true }));
    const cert = fs.readFileSync(certificate.cert, 'utf8');
    const key = fs.readFileSync(certificate.key, 'utf8');
    const listener = await listen(tls.createServer({ cert, key }), 'secureConnection');
    const connecting = connectTls({ host: '127.0.0.1', port: listener.port, ca: cert, highWaterMark: 256 * 1024 });
    const server = duplexTransport(await listener.next());
    const client = await connecting;
    cleanup.push(() => client.close(), () => server.close());
    const up = patternBytes(3 * MiB, 6);
    const down = patternBytes(3 * MiB + 1, 7);
    const atServer = receive(server, up.length);
    const atClient = receive(client, down.length);
    await Promise.all([pump(client, up), pump(server, down)]);
    expect(await within(atServer.reached, 10_000, 'the upload')).toEqual({ bytes: up.length, sha256: sha256(up) });
    expect(await within(atClient.reached, 10_000, 'the download')).toEqual({ bytes: down.length, sha256: sha256(down) });
    server.close();
    await within(Promise.all([atServer.ended, atClient.ended]), 5000, 'both ends');
    expect(await firstValueFrom(client.closed$)).toMatchObject({ clean: true });
    expect(await firstValueFrom(server.closed$)).toMatchObject({ clean: true });
    // An untrusted certificate is refused.
    await expect(connectTls({ host: '127.0.0.1', port: listener.port })).rejects.toMatchObject({ code: 'TransportError' });
  });
});
