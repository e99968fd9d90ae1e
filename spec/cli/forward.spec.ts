/**
 * `wisp-rx serve` + `wisp-rx forward`, both spawned as users run them, against local HTTP,
 * TCP and UDP servers.
 */
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cli, cleanAll, cleanup, startForward, startServe, udpEcho } from './helpers';

afterEach(cleanAll);

/** A local HTTP server answering every path with a page naming it. */
async function httpServer(): Promise<number> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`page ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => (server.closeAllConnections(), new Promise((r) => server.close(r))));
  return (server.address() as AddressInfo).port;
}

/** GET through the forward port (a new connection each time). */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('wisp-rx forward (TCP)', () => {
  it('serves an HTTP page through the forward port, and 50 parallel requests all succeed', async () => {
    const target = await httpServer();
    const { url } = await startServe(['--allow-loopback']);
    const { port, cli } = await startForward(['--server', url, '--to', `127.0.0.1:${target}`]);
    expect(await get(port, '/hello')).toEqual({ status: 200, body: 'page /hello\n' });

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => get(port, `/p${i}`)));
    results.forEach((r, i) => expect(r).toEqual({ status: 200, body: `page /p${i}\n` }));
    expect(cli.stderr).toMatch(/connected to ws:\/\//);
  });

  it('reconnects when the server goes away and comes back on the same port', async () => {
    const target = await httpServer();
    const first = await startServe(['--allow-loopback']);
    const { port, cli } = await startForward(['--server', first.url, '--to', `127.0.0.1:${target}`]);
    expect((await get(port, '/before')).body).toBe('page /before\n');

    first.cli.child.kill('SIGTERM');
    expect(await first.cli.waitForExit()).toEqual({ code: 0, signal: null });
    await cli.waitFor(/connection lost/);
    // Accepted while disconnected: waits for the reconnect instead of failing.
    const pending = get(port, '/after');
    const second = new Cli(['serve', '--port', new URL(first.url).port, '--allow-loopback']);
    await second.waitFor(/listening on/);
    expect((await pending).body).toBe('page /after\n');
    await cli.waitFor(/reconnected/);
  });

  it('resets the local connection when the server refuses the destination', async () => {
    const target = await httpServer();
    const { url } = await startServe(); // default policy: loopback refused
    const { port, cli } = await startForward(['--server', url, '--to', `127.0.0.1:${target}`]);
    await expect(get(port, '/')).rejects.toThrow(/ECONNRESET|socket hang up/);
    await cli.waitFor(/closed: HostBlocked \(0x48\)/);
  });
});

describe('wisp-rx forward --udp', () => {
  it('relays datagrams to a UDP echo server, each source its own flow', async () => {
    const echo = await udpEcho();
    const { url } = await startServe(['--allow-loopback']);
    const { cli } = await startForward(['--udp', '--server', url, '--to', `127.0.0.1:${echo}`]);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(cli.stdout)![1]);

    const clients = await Promise.all([0, 1].map(async () => {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
      return socket;
    }));
    /** Sends `text` once (datagrams that arrive while a flow opens are held) and waits for its echo. */
    const roundTrip = (socket: dgram.Socket, text: string): Promise<string> =>
      new Promise((resolve) => {
        const onMessage = (message: Buffer): void => {
          socket.off('message', onMessage);
          resolve(message.toString());
        };
        socket.on('message', onMessage);
        socket.send(text, port, '127.0.0.1');
      });
    expect(await roundTrip(clients[0], 'one from a')).toBe('one from a');
    expect(await roundTrip(clients[1], 'one from b')).toBe('one from b');
    expect(await roundTrip(clients[0], 'x'.repeat(1400))).toBe('x'.repeat(1400));
  });
});
