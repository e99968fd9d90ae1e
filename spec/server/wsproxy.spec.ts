/** wsproxy: a WebSocket per raw TCP connection, under the destination policy (loopback only). */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../../lib/server/logger';
import { checkWsProxyTarget, parseWsProxyPath, serveWsProxy, type WsProxyContext } from '../../lib/server/wsproxy';
import { within } from '../mux/helpers';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function tcpTarget(onSocket: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket.on('error', () => undefined));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => (sockets.forEach((s) => s.destroy()), new Promise((resolve) => server.close(resolve))));
  return (server.address() as net.AddressInfo).port;
}

/** A minimal gateway front: upgrades under /ws/ become wsproxy connections. */
async function front(context: Partial<WsProxyContext> = {}): Promise<string> {
  const wss = new WebSocketServer({ noServer: true });
  const full: WsProxyContext = { policy: { allowLoopback: true }, connectTimeoutMs: 5000, idleTimeoutMs: 0, logger: silentLogger, label: 'test', ...context };
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    const target = parseWsProxyPath(req.url ?? '/', '/ws/');
    const refused = target && checkWsProxyTarget(full.policy, target);
    if (!target || refused !== undefined) return socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => void serveWsProxy(ws, target, full));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const client of wss.clients) client.terminate();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/ws/`;
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanup.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

describe('wsproxy', () => {
  it('parses /prefix/host:port paths, bracketed IPv6 and percent-encoding; refuses the rest', () => {
    expect(parseWsProxyPath('/ws/example.com:443', '/ws/')).toEqual({ host: 'example.com', port: 443 });
    expect(parseWsProxyPath('/ws/%5B::1%5D:22', '/ws/')).toEqual({ host: '[::1]', port: 22 });
    for (const bad of ['/ws/', '/ws/host', '/ws/host:0', '/ws/host:70000', '/ws/a/b:1', '/other/h:1', '/ws/%zz:1']) {
      expect(parseWsProxyPath(bad, '/ws/')).toBeUndefined();
    }
    expect(checkWsProxyTarget({}, { host: '127.0.0.1', port: 80 })).toBe(0x48);
  });

  it('relays bytes both ways (2 MiB each way, verified) and closes with 1000 when the target ends', async () => {
    const port = await tcpTarget((socket) => socket.pipe(socket));
    const ws = await open(`${await front()}127.0.0.1:${port}`);
    const sent = randomBytes(2 * 1024 * 1024);
    const hash = createHash('sha256');
    let received = 0;
    const echoed = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        hash.update(data);
        if ((received += data.length) === sent.length) resolve();
      }),
    );
    for (let at = 0; at < sent.length; at += 64 * 1024) ws.send(sent.subarray(at, at + 64 * 1024));
    await within(echoed, 10_000, 'the echo');
    expect(hash.digest('hex')).toBe(createHash('sha256').update(sent).digest('hex'));

    const greeter = await tcpTarget((socket) => socket.end('bye'));
    const second = await open(`${await front()}127.0.0.1:${greeter}`);
    const words: Buffer[] = [];
    second.on('message', (data: Buffer) => words.push(data));
    expect(await within(closed(second), 5000, 'the close')).toEqual({ code: 1000, reason: 'target closed' });
    expect(Buffer.concat(words).toString()).toBe('bye');
  });

  it('refuses what the policy refuses, before the upgrade, and reports dial failures with the reason', async () => {
    const url = await front({ policy: {} }); // defaults: no loopback
    await expect(open(`${url}127.0.0.1:80`)).rejects.toThrow(/403/);
    const listener = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    const closedPort = (listener.address() as net.AddressInfo).port;
    await new Promise((resolve) => listener.close(resolve)); // nothing listens there now
    const ws = await open(`${await front()}127.0.0.1:${closedPort}`);
    expect(await within(closed(ws), 5000, 'the close')).toEqual({ code: 1011, reason: 'ConnectionRefused' });
  });

  it('a client that stops reading holds the target up instead of buffering without bound', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    let written = 0;
    const port = await tcpTarget((socket) => {
      const pump = (): void => {
        while (written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(chunk)) return;
        }
      };
      socket.on('drain', pump);
      pump();
    });
    const counters = { up: 0, down: 0 };
    let target: net.Socket | undefined;
    const ws = await open(`${await front({ counters, onOpen: (socket) => (target = socket) })}127.0.0.1:${port}`);
    (ws as unknown as { _socket: net.Socket })._socket.pause(); // this client reads nothing
    // The proxy stops reading the target once the WebSocket holds its high-water mark.
    await within(waitFor(() => target?.isPaused() === true), 20_000, 'the proxy to stop reading the target');
    // What it read: the 1 MiB mark plus what the kernel buffers on the way to the client.
    expect(counters.down).toBeLessThan(16 * 1024 * 1024);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    (ws as unknown as { _socket: net.Socket })._socket.resume();
    await within(waitFor(() => target?.isPaused() === false), 20_000, 'reading again once the client reads');
  });
});

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setImmediate(check));
    check();
  });
}
