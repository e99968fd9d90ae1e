import * as net from 'node:net';
import { once } from 'node:events';
import { dialTcp, type DialTarget } from '../../lib/server/dial-tcp';
import { mapConnectError, mapSocketError } from '../../lib/server/socket-errors';
import { DialError } from '../../lib/server/dial-error';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { isWispError } from '../../lib/errors';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A loopback echo server; every accepted socket is tracked for cleanup. */
async function echoServer(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.pipe(socket);
  });
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A loopback port with nothing listening: bind one, then close it. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function dialError(promise: Promise<unknown>): Promise<DialError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DialError);
    return err as DialError;
  }
  throw new Error('expected a rejection');
}

/** A socket that never connects, handed to dialTcp in place of net.connect. */
function fakeConnect(): { socket: net.Socket; connect: jest.Mock<net.Socket, [net.TcpNetConnectOpts]> } {
  const socket = new net.Socket();
  sockets.push(socket);
  return { socket, connect: jest.fn((_opts: net.TcpNetConnectOpts) => socket) };
}

const loopback = (port: number): DialTarget => ({ address: '127.0.0.1', family: 4, port });

describe('dialTcp against a loopback server', () => {
  it('connects, disables Nagle, and carries data', async () => {
    const port = await echoServer();
    const noDelay = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    const socket = await dialTcp(loopback(port), { connectTimeoutMs: 5000 });
    sockets.push(socket);
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(socket.remotePort).toBe(port);
    expect(noDelay).toHaveBeenCalledWith(true);
    socket.write('ping');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('ping');
  });

  it('connects over IPv6 loopback', async () => {
    const port = await echoServer('::1');
    const socket = await dialTcp({ address: '::1', family: 6, port }, { connectTimeoutMs: 5000 });
    sockets.push(socket);
    expect(socket.remoteAddress).toBe('::1');
  });

  it('maps a refused connection to 0x44', async () => {
    const port = await refusedPort();
    const err = await dialError(dialTcp(loopback(port), { connectTimeoutMs: 5000 }));
    expect(err.reason).toBe(CloseReason.ConnectionRefused);
    expect(isWispError(err, 'DialFailed')).toBe(true);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('dialTcp timeout and cancellation', () => {
  it('times out with 0x43 and destroys the socket', async () => {
    jest.useFakeTimers();
    const { socket, connect } = fakeConnect();
    const attempt = dialTcp(loopback(9), { connectTimeoutMs: 50, connect });
    let settled = false;
    // Settled is set by the attempt's own reaction, queued before the await below resumes: a
    // catch().finally() chain needs more microtasks and would let an early timeout pass.
    attempt.then(
      () => (settled = true),
      () => (settled = true),
    );
    jest.advanceTimersByTime(49);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(socket.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    const err = await dialError(attempt);
    expect(err.reason).toBe(CloseReason.ConnectTimeout);
    expect(err.message).toContain('timed out after 50 ms');
    expect(socket.destroyed).toBe(true);
  });

  it('clears its timer once connected', async () => {
    jest.useFakeTimers();
    const { socket, connect } = fakeConnect();
    const attempt = dialTcp(loopback(9), { connectTimeoutMs: 50, connect });
    expect(jest.getTimerCount()).toBe(1);
    socket.emit('connect');
    await expect(attempt).resolves.toBe(socket);
    expect(jest.getTimerCount()).toBe(0);
    expect(socket.listenerCount('error')).toBe(0); // the caller owns error handling now
  });

  it('is cancelled by an AbortSignal (0x02), destroying the socket', async () => {
    const { socket, connect } = fakeConnect();
    const controller = new AbortController();
    const attempt = dialTcp(loopback(9), { connectTimeoutMs: 5000, connect, signal: controller.signal });
    controller.abort();
    const err = await dialError(attempt);
    expect(err.reason).toBe(CloseReason.Voluntary);
    expect(socket.destroyed).toBe(true);
  });

  it('does not start when the signal is already aborted', async () => {
    const { connect } = fakeConnect();
    const err = await dialError(dialTcp(loopback(9), { connectTimeoutMs: 5000, connect, signal: AbortSignal.abort() }));
    expect(err.reason).toBe(CloseReason.Voluntary);
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('dialTcp connect errors', () => {
  it.each([
    ['EHOSTUNREACH', CloseReason.HostUnreachable],
    ['ENETUNREACH', CloseReason.HostUnreachable],
    ['ETIMEDOUT', CloseReason.ConnectTimeout],
    ['EACCES', CloseReason.NetworkError],
  ])('%s -> %s', async (code, reason) => {
    const { socket, connect } = fakeConnect();
    const attempt = dialTcp(loopback(9), { connectTimeoutMs: 5000, connect });
    socket.emit('error', Object.assign(new Error(code), { code }));
    expect((await dialError(attempt)).reason).toBe(reason);
    expect(socket.destroyed).toBe(true);
  });
});

describe('dialTcp argument checks', () => {
  it('passes the checked address, never a name, to net.connect', async () => {
    const { socket, connect } = fakeConnect();
    const attempt = dialTcp({ address: '::1', family: 6, port: 9 }, { connectTimeoutMs: 5000, connect, localAddress: '::1' });
    expect(connect).toHaveBeenCalledWith(expect.objectContaining({ port: 9, family: 6, noDelay: true, localAddress: '::1' }));
    // The host is a placeholder that is not a literal (so net.connect connects within the
    // call); the lookup answers the checked address at once, never asking DNS.
    const { host, lookup } = connect.mock.calls[0][0];
    expect(net.isIP(host ?? '')).toBe(0);
    const answer = jest.fn();
    lookup!('ignored.example', { family: 6 }, answer);
    expect(answer).toHaveBeenCalledWith(null, '::1', 6);
    socket.emit('error', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })); // settle the attempt
    expect((await dialError(attempt)).reason).toBe(CloseReason.ConnectionRefused);
  });

  it.each<[string, DialTarget]>([
    ['a hostname', { address: 'localhost', family: 4, port: 80 }],
    ['a family mismatch', { address: '::1', family: 4, port: 80 }],
    ['port 0', { address: '127.0.0.1', family: 4, port: 0 }],
    ['port 65536', { address: '127.0.0.1', family: 4, port: 65536 }],
  ])('refuses %s with 0x41 without connecting', async (_what, target) => {
    const { connect } = fakeConnect();
    expect((await dialError(dialTcp(target, { connectTimeoutMs: 5000, connect }))).reason).toBe(CloseReason.InvalidInfo);
    expect(connect).not.toHaveBeenCalled();
  });

  it.each([0, -1, NaN, Infinity, 2 ** 31])('rejects connectTimeoutMs %s with InvalidArgument', async (ms) => {
    await expect(dialTcp(loopback(9), { connectTimeoutMs: ms })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('error mapping', () => {
  const err = (code?: string) => Object.assign(new Error(code ?? 'plain'), code === undefined ? {} : { code });

  it.each([
    ['ECONNREFUSED', CloseReason.ConnectionRefused],
    ['ETIMEDOUT', CloseReason.ConnectTimeout],
    ['EHOSTUNREACH', CloseReason.HostUnreachable],
    ['ENETUNREACH', CloseReason.HostUnreachable],
    ['EHOSTDOWN', CloseReason.HostUnreachable],
    ['ENETDOWN', CloseReason.HostUnreachable],
    ['ECONNRESET', CloseReason.NetworkError],
    [undefined, CloseReason.NetworkError],
  ])('mapConnectError(%s) = %s', (code, reason) => expect(mapConnectError(err(code))).toBe(reason));

  it.each([
    ['ECONNRESET', CloseReason.NetworkError],
    ['EPIPE', CloseReason.NetworkError],
    ['ETIMEDOUT', CloseReason.TransferTimeout],
    ['ECONNREFUSED', CloseReason.ConnectionRefused],
    ['EHOSTUNREACH', CloseReason.NetworkError],
    [undefined, CloseReason.NetworkError],
  ])('mapSocketError(%s) = %s', (code, reason) => expect(mapSocketError(err(code))).toBe(reason));

  it('tolerates non-errors', () => {
    expect(mapConnectError(undefined)).toBe(CloseReason.NetworkError);
    expect(mapSocketError('boom')).toBe(CloseReason.NetworkError);
  });
});
