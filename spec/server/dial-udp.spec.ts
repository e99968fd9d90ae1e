import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { dialUdp } from '../../lib/server/dial-udp';
import { DialError } from '../../lib/server/dial-error';
import { CloseReason } from '../../lib/wisp/packet/close-reason';

const sockets: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(
    sockets.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve(); // already closed by the code under test
          }
        }),
    ),
  );
});

function track(socket: dgram.Socket): dgram.Socket {
  sockets.push(socket);
  return socket;
}

/** A loopback UDP echo server. */
async function echoServer(type: 'udp4' | 'udp6' = 'udp4'): Promise<number> {
  const server = track(dgram.createSocket(type));
  server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  server.bind(0, type === 'udp4' ? '127.0.0.1' : '::1');
  await once(server, 'listening');
  return server.address().port;
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

describe('dialUdp', () => {
  it('round-trips a datagram with a loopback echo server (udp4)', async () => {
    const port = await echoServer();
    const socket = track(await dialUdp({ address: '127.0.0.1', family: 4, port }, { localAddress: '127.0.0.1' }));
    expect(socket.remoteAddress()).toEqual(expect.objectContaining({ address: '127.0.0.1', port }));
    socket.send('ping'); // connected: no address needed
    const [msg] = (await once(socket, 'message')) as [Buffer];
    expect(msg.toString()).toBe('ping');
  });

  it('uses a udp6 socket for an IPv6 target', async () => {
    const port = await echoServer('udp6');
    const socket = track(await dialUdp({ address: '::1', family: 6, port }, { localAddress: '::1' }));
    expect(socket.address().family).toBe('IPv6');
    socket.send('ping6');
    const [msg, rinfo] = (await once(socket, 'message')) as [Buffer, dgram.RemoteInfo];
    expect(msg.toString()).toBe('ping6');
    expect(rinfo.address).toBe('::1');
  });

  it('receives only the connected peer’s datagrams', async () => {
    const port = await echoServer();
    const socket = track(await dialUdp({ address: '127.0.0.1', family: 4, port }, { localAddress: '127.0.0.1' }));
    const stranger = track(dgram.createSocket('udp4'));
    stranger.bind(0, '127.0.0.1');
    await once(stranger, 'listening');
    const received: string[] = [];
    socket.on('message', (m: Buffer) => received.push(m.toString()));
    // Loopback delivery happens inside send(), so the stranger's datagram would be queued
    // ahead of the echo if the kernel did not filter it.
    await new Promise<void>((resolve, reject) =>
      stranger.send('intruder', socket.address().port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
    socket.send('hello');
    await once(socket, 'message');
    expect(received).toEqual(['hello']);
  });

  it('refuses a non-literal target with 0x41', async () => {
    const create = jest.fn(() => dgram.createSocket('udp4'));
    const err = await dialError(dialUdp({ address: 'localhost', family: 4, port: 53 }, { createSocket: create }));
    expect(err.reason).toBe(CloseReason.InvalidInfo);
    expect(create).not.toHaveBeenCalled();
  });

  it('does not start when the signal is already aborted', async () => {
    const create = jest.fn(() => dgram.createSocket('udp4'));
    const err = await dialError(dialUdp({ address: '127.0.0.1', family: 4, port: 9 }, { signal: AbortSignal.abort(), createSocket: create }));
    expect(err.reason).toBe(CloseReason.Voluntary);
    expect(create).not.toHaveBeenCalled();
  });

  it('is cancelled by an abort while binding, closing the socket', async () => {
    const controller = new AbortController();
    let created: dgram.Socket | undefined;
    const attempt = dialUdp(
      { address: '127.0.0.1', family: 4, port: 9 },
      {
        signal: controller.signal,
        localAddress: '127.0.0.1',
        createSocket: (type) => (created = dgram.createSocket(type)),
      },
    );
    controller.abort();
    expect((await dialError(attempt)).reason).toBe(CloseReason.Voluntary);
    expect(() => created!.address()).toThrow(); // closed: no longer bound
  });

  it('maps a connect error and closes the socket', async () => {
    let created: dgram.Socket | undefined;
    const attempt = dialUdp(
      { address: '127.0.0.1', family: 4, port: 9 },
      {
        createSocket: (type) => {
          created = dgram.createSocket(type);
          // Simulate the kernel refusing the route.
          created.connect = () => { created!.emit('error', Object.assign(new Error('unreachable'), { code: 'ENETUNREACH' })); };
          return created;
        },
      },
    );
    expect((await dialError(attempt)).reason).toBe(CloseReason.HostUnreachable);
  });
});
