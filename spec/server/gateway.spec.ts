import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { generateKeyPair, keyAuth, password } from '../../lib/wisp/extensions/index';
import type { GatewayOptions } from '../../lib/server/gateway-options';
import { failTest } from '../observers';

const connector = { connector: (url: string, protocols: readonly string[]) => connectWs(url, protocols) };
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function gateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gw = await createGateway({ port: 0, policy: { allowLoopback: true }, ...options });
  open.push(gw);
  return gw;
}

async function client(url: string, options = {}): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, { ...connector, ...options });
  open.push(mux);
  return mux;
}

/** A TCP echo server on 127.0.0.1. */
async function tcpEcho(): Promise<number> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({ close: () => new Promise((r) => server.close(r)) });
  (server as unknown as { unref(): void }).unref();
  return (server.address() as net.AddressInfo).port;
}

async function readBytes(stream: { data$: import('rxjs').Observable<Uint8Array> }, total: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    const sub = stream.data$.subscribe({
      next(chunk) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= total) {
          sub.unsubscribe();
          resolve(Buffer.concat(chunks));
        }
      },
      error: reject,
      complete: () => reject(new Error(`stream ended after ${size} of ${total} bytes`)),
    });
  });
}

describe('gateway', () => {
  it('relays TCP both ways (v2 by default, MOTD shown)', async () => {
    const port = await tcpEcho();
    const gw = await gateway({ motd: 'hello from wisp-rx' });
    const mux = await client(gw.url);
    expect(mux.version.major).toBe(2);
    expect(mux.motd).toBe('hello from wisp-rx');
    const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    const payload = randomBytes(3 * 1024 * 1024);
    const echoed = readBytes(stream, payload.length);
    await stream.write(payload);
    expect(createHash('sha256').update(await echoed).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(gw.stats().bytesUp).toBe(payload.length);
  });

  it('delivers everything a client wrote before closing to a target that reads slowly', async () => {
    // The target reads nothing at first, so when the client's CLOSE arrives the gateway still
    // holds data in the stream's queue and in the socket's buffer: a voluntary close flushes both.
    const received: Buffer[] = [];
    let target: net.Socket | undefined;
    let onEnd!: () => void;
    const ended = new Promise<void>((resolve) => (onEnd = resolve));
    const server = net.createServer((socket) => {
      target = socket;
      socket.pause();
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.once('end', onEnd);
      socket.once('close', onEnd);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise((r) => server.close(r)) });
    const port = (server.address() as net.AddressInfo).port;

    // 32 MiB within the first credit (512 packets of 64 KiB): more than the kernel's socket
    // buffers take, so the rest waits in the gateway when the CLOSE arrives.
    const gw = await gateway({ bufferSize: 1024 });
    const mux = await client(gw.url);
    const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    const payload = randomBytes(32 * 1024 * 1024);
    await stream.write(payload);
    stream.close(CloseReason.Voluntary);
    await firstValueFrom(stream.closed$);
    target!.resume();
    await ended;
    expect(Buffer.concat(received).length).toBe(payload.length);
    expect(createHash('sha256').update(Buffer.concat(received)).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('refuses loopback by default, for literals and for names that resolve to it', async () => {
    const port = await tcpEcho();
    const gw = await gateway({ policy: {} });
    const mux = await client(gw.url);
    for (const host of ['127.0.0.1', 'localhost']) {
      const stream = await mux.open('tcp', host, port);
      expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
    }
  });

  it('enforces a port deny range and reports refused and unreachable targets', async () => {
    const port = await tcpEcho();
    const gw = await gateway({ policy: { allowLoopback: true, portDeny: [{ from: port, to: port }] } });
    const mux = await client(gw.url);
    const denied = await mux.open('tcp', '127.0.0.1', port);
    expect(await firstValueFrom(denied.closed$)).toBe(CloseReason.HostBlocked);

    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await mux.open('tcp', '127.0.0.1', closedPort);
    expect(await firstValueFrom(refused.closed$)).toBe(CloseReason.ConnectionRefused);
    const invalid = await mux.open('tcp', 'bad host name', 80);
    expect(await firstValueFrom(invalid.closed$)).toBe(CloseReason.InvalidInfo);
  });

  it('rejects a stream when awaiting confirmation of a refused target', async () => {
    const gw = await gateway({ policy: {} });
    const mux = await client(gw.url);
    await expect(mux.open('tcp', '127.0.0.1', 9, { awaitConfirmation: true })).rejects.toMatchObject({ reason: CloseReason.HostBlocked });
  });

  it('relays UDP datagrams one to one', async () => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((r) => echo.close(() => r())) });
    const gw = await gateway();
    const mux = await client(gw.url);
    const stream = await mux.open('udp', '127.0.0.1', echo.address().port, { awaitConfirmation: true });
    const sizes = [1, 512, 1400, 8000];
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      stream.data$.subscribe({
        next: (d) => {
          got.push(d.length);
          if (got.length === sizes.length) resolve();
        },
        error: failTest,
      }),
    );
    for (const size of sizes) await stream.write(new Uint8Array(size).fill(size & 0xff));
    await all;
    expect(got.sort((a, b) => a - b)).toEqual(sizes);
  });

  it('authenticates with passwords and Ed25519 keys', async () => {
    const keys = await generateKeyPair();
    const gw = await gateway({ passwords: { alice: 'secret' }, publicKeys: [keys.publicKey] });
    await expect(client(gw.url, { extensions: [password({ username: 'alice', password: 'secret' })] })).resolves.toBeDefined();
    await expect(client(gw.url, { extensions: [password({ username: 'alice', password: 'nope' })] })).rejects.toMatchObject({
      code: 'PasswordExtensionCredsInvalid',
    });
    await expect(client(gw.url, { extensions: [keyAuth({ privateKey: keys.privateKey })] })).resolves.toBeDefined();
    const stranger = await generateKeyPair();
    await expect(client(gw.url, { extensions: [keyAuth({ privateKey: stranger.privateKey })] })).rejects.toMatchObject({
      code: 'CertAuthExtensionSigInvalid',
    });
    await expect(client(gw.url, { extensions: [] })).rejects.toMatchObject({ code: 'AuthRequired' });
  });

  it('refuses v1 clients with AuthRequired when authentication is required (v1 cannot authenticate)', async () => {
    const keys = await generateKeyPair();
    for (const auth of [{ passwords: { alice: 'secret' } }, { publicKeys: [keys.publicKey] }]) {
      const gw = await gateway(auth);
      await expect(client(gw.url, { v2: false })).rejects.toMatchObject({ code: 'ConnectionClosedByPeer', reason: CloseReason.AuthRequired });
      expect(gw.stats().connections).toBe(0);
    }
    const optional = await gateway({ passwords: { alice: 'secret' }, authRequired: false });
    expect((await client(optional.url, { v2: false })).version.major).toBe(1);
    await expect(gateway({ passwords: { alice: 'secret' }, v1Only: true })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('serves v1 to clients that do not offer v2, and in v1-only mode', async () => {
    const gw = await gateway({ v1Only: true });
    const mux = await client(gw.url);
    expect(mux.downgraded).toBe(true);
    const plain = await client(gw.url, { v2: false });
    expect(plain.version.major).toBe(1);
  });

  it('selects one of the subprotocols a client offers, as epoxy-tls offers a random one', async () => {
    // Browsers abort an upgrade whose offered subprotocols were all ignored.
    const gw = await gateway();
    const offering = (extra: string[]) => ({ connector: (url: string, protocols: readonly string[]) => connectWs(url, [...extra, ...protocols]) });
    const v1 = await client(gw.url, { v2: false, ...offering(['7c1e4b2a-0d3f-4a55-9b1e-2f6c8d9e0a11']) });
    expect(v1.transport.protocol).toBe('7c1e4b2a-0d3f-4a55-9b1e-2f6c8d9e0a11');
    expect(v1.version).toEqual({ major: 1, minor: 0 });
    const v2 = await client(gw.url, offering(['5b9d2c1e-aaaa-4bbb-8ccc-1234567890ab']));
    expect(v2.transport.protocol).toBe('wisp-v2');
    expect(v2.version).toEqual({ major: 2, minor: 0 });
    const port = await tcpEcho();
    for (const mux of [v1, v2]) {
      const stream = await mux.open('tcp', '127.0.0.1', port);
      const echoed = readBytes(stream, 5);
      await stream.write(new TextEncoder().encode('hello'));
      expect((await echoed).toString()).toBe('hello');
      stream.close();
    }
  });

  it('limits streams per connection and connections per client', async () => {
    const port = await tcpEcho();
    const gw = await gateway({ maxStreamsPerConnection: 2, maxConnectionsPerClient: 1 });
    const mux = await client(gw.url);
    const a = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    const third = await mux.open('tcp', '127.0.0.1', port);
    expect(await firstValueFrom(third.closed$)).toBe(CloseReason.Throttled);
    expect(a.closed).toBe(false);
    await expect(client(gw.url)).rejects.toMatchObject({ code: 'TransportError' });
  });

  it('answers plain HTTP and other paths without Wisp', async () => {
    const gw = await gateway({ prefix: '/wisp/' });
    const base = gw.url.replace('ws://', 'http://');
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('wisp-rx gateway');
    await expect(client(base.replace('http://', 'ws://').replace('/wisp/', '/other/'))).rejects.toMatchObject({ code: 'TransportError' });
    await expect(client(gw.url)).resolves.toBeDefined();
  });

  it('closes every connection with a reason on shutdown', async () => {
    const port = await tcpEcho();
    const gw = await createGateway({ port: 0, policy: { allowLoopback: true } });
    const mux = await ClientMux.connect(gw.url, connector);
    const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    await gw.close({ reason: CloseReason.Voluntary, graceMs: 2000 });
    expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.Voluntary);
    expect((await firstValueFrom(mux.closed$)).reason).toBe(CloseReason.Voluntary);
  });
});
