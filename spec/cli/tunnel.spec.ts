/**
 * `wisp-rx tunnel`, spawned as users run it: wisp-rx on both ends (forward and reverse
 * modes, smux v1 and v2, yamux and net-mux, reconnect), and Go's xtaci/smux and
 * hashicorp/yamux (interop/go peers) on the other end in both directions. Options and exit
 * codes too.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { buildGoPeers, goPatternSha256, startGoClient, startGoServer, streamEvents, type GoPeer } from '../support/go';
import { Cli, cleanAll, freePort, tcpServer } from './helpers';

const peers: GoPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await cleanAll();
});
beforeAll(async () => {
  await buildGoPeers();
}, 180_000);

const echoServer = (): Promise<number> => tcpServer((socket) => socket.pipe(socket));

async function tunnel(args: readonly string[]): Promise<{ cli: Cli; port: number }> {
  const cli = new Cli(['tunnel', ...args, '--log-level', 'debug']);
  const [, port] = await cli.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { cli, port: Number(port) };
}

const payload = (n: number, seed: number): Buffer => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
};
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Sends `data` through `port` and reads the echo. `halfClose`: end our side at once and read
 * to the end; otherwise read all of it back first, then end (for Go peers, which may cut a
 * reply after the peer's FIN: smux notes §6).
 */
function roundTrip(port: number, data: Buffer, halfClose: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => socket.destroy(new Error(`round trip: ${got} of ${data.length} bytes back`)), 15_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (!halfClose && got === data.length) socket.end();
    });
    socket.on('end', () => (clearTimeout(timer), resolve(Buffer.concat(chunks))));
    socket.on('error', (error) => (clearTimeout(timer), reject(error)));
    socket.write(data);
    if (halfClose) socket.end();
  });
}

/** Forward mode with `v` (the protocol flags) on both ends: 8 connections of 1 MiB, half-closed, echoed intact. */
async function forwardEchoes(v: readonly string[]): Promise<void> {
  const target = await echoServer();
  const server = await tunnel(['server', ...v, '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${target}`]);
  const client = await tunnel(['client', ...v, '--server', `127.0.0.1:${server.port}`, '--listen', '127.0.0.1:0']);
  const sent = Array.from({ length: 8 }, (_, i) => payload(1024 * 1024, i));
  const back = await Promise.all(sent.map((data) => roundTrip(client.port, data, true)));
  expect(back.map(sha)).toEqual(sent.map(sha));
}

describe.each(['1', '2'])('wisp-rx tunnel on both ends, smux v%s', (version) => {
  const v = ['--protocol', 'smux', '--smux-version', version];

  it('forward mode: 8 connections of 1 MiB each, half-closed, echoed intact', () => forwardEchoes(v));

  it('reverse mode: connections to --expose reach the client\'s --to', async () => {
    const target = await echoServer();
    const server = new Cli(['tunnel', 'server', ...v, '--listen', '127.0.0.1:0', '--expose', '127.0.0.1:0', '--log-level', 'debug']);
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const [, exposed] = await server.waitFor(/exposing 127\.0\.0\.1:(\d+)/);
    const client = new Cli(['tunnel', 'client', ...v, '--server', `127.0.0.1:${port}`, '--to', `127.0.0.1:${target}`]);
    await client.waitFor(/listening on/);
    await server.waitFor(/client #1 .* connected/);
    const data = payload(300_000, 5);
    expect(sha(await roundTrip(Number(exposed), data, true))).toBe(sha(data));
  });
});

describe('wisp-rx tunnel client reconnects', () => {
  it('after the server is killed and comes back on the same port, new connections flow again', async () => {
    const target = await echoServer();
    const port = await freePort();
    const args = ['--listen', `127.0.0.1:${port}`, '--to', `127.0.0.1:${target}`];
    const first = await tunnel(['server', ...args]);
    const client = await tunnel(['client', '--server', `127.0.0.1:${port}`, '--listen', '127.0.0.1:0']);
    expect((await roundTrip(client.port, Buffer.from('one'), true)).toString()).toBe('one');
    first.cli.child.kill('SIGKILL');
    await client.cli.waitFor(/connection to .* lost/);
    await tunnel(['server', ...args]);
    await client.cli.waitFor(/reconnected to/, 15_000);
    expect((await roundTrip(client.port, Buffer.from('two'), true)).toString()).toBe('two');
  }, 30_000);
});

describe.each(['1', '2'])('wisp-rx tunnel against Go xtaci/smux, v%s', (version) => {
  it('Go client → wisp-rx tunnel server → TCP echo: 16 streams checked byte for byte', async () => {
    const target = await echoServer();
    const server = await tunnel(['server', '--smux-version', version, '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${target}`]);
    const go = await startGoClient('smux', `127.0.0.1:${server.port}`, ['-version', version, '-role', 'echo-check', '-open', '16', '-bytes', '512K']);
    peers.push(go);
    const exit = await go.exited;
    expect({ code: exit.code, events: exit.events, stderr: exit.stderr }).toMatchObject({ code: 0 });
    for (const e of streamEvents(exit.events)) expect(e).toMatchObject({ ok: true, sha256_received: goPatternSha256(e.id as number, 512 * 1024) });
  });

  it('local TCP → wisp-rx tunnel client → Go server (echo role): 8 connections echoed', async () => {
    const go = await startGoServer('smux', ['-version', version, '-role', 'echo', '-sessions', '0']);
    peers.push(go);
    const client = await tunnel(['client', '--smux-version', version, '--server', go.addr, '--listen', '127.0.0.1:0']);
    const sent = Array.from({ length: 8 }, (_, i) => payload(512 * 1024, i));
    const back = await Promise.all(sent.map((data) => roundTrip(client.port, data, false)));
    expect(back.map(sha)).toEqual(sent.map(sha));
  });
});

describe.each([
  ['yamux (version 0)', ['--protocol', 'yamux']],
  ['net-mux (version 1)', ['--protocol', 'net-mux']],
  ['yamux --yamux-version 1', ['--protocol', 'yamux', '--yamux-version', '1']],
])('wisp-rx tunnel on both ends, %s', (_, v) => {
  it('forward mode: 8 connections of 1 MiB each, half-closed, echoed intact', () => forwardEchoes(v));
});

describe('wisp-rx tunnel against Go hashicorp/yamux', () => {
  it('Go client → wisp-rx tunnel server --protocol yamux → TCP echo: 16 streams checked byte for byte', async () => {
    const target = await echoServer();
    const server = await tunnel(['server', '--protocol', 'yamux', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${target}`]);
    const go = await startGoClient('yamux', `127.0.0.1:${server.port}`, ['-role', 'echo-check', '-open', '16', '-bytes', '512K']);
    peers.push(go);
    const exit = await go.exited;
    expect({ code: exit.code, events: exit.events, stderr: exit.stderr }).toMatchObject({ code: 0 });
    expect(streamEvents(exit.events)).toHaveLength(16);
    for (const e of streamEvents(exit.events)) expect(e).toMatchObject({ ok: true, sha256_received: goPatternSha256(e.id as number, 512 * 1024) });
  });

  it('local TCP → wisp-rx tunnel client --protocol yamux → Go server (echo role): 8 connections echoed', async () => {
    const go = await startGoServer('yamux', ['-role', 'echo', '-sessions', '0']);
    peers.push(go);
    const client = await tunnel(['client', '--protocol', 'yamux', '--server', go.addr, '--listen', '127.0.0.1:0']);
    const sent = Array.from({ length: 8 }, (_, i) => payload(512 * 1024, i));
    const back = await Promise.all(sent.map((data) => roundTrip(client.port, data, false)));
    expect(back.map(sha)).toEqual(sent.map(sha));
  });
});

describe('wisp-rx tunnel client in reverse mode against a Go server that opens the streams', () => {
  it.each(['1', '2'])('v%s: Go opens 4 streams (ids 2, 4, 6, 8), the client connects each to a TCP echo, Go checks them', async (version) => {
    const target = await echoServer();
    const go = await startGoServer('smux', ['-version', version, '-role', 'echo-check', '-open', '4', '-bytes', '256K', '-end', 'self']);
    peers.push(go);
    await tunnel(['client', '--smux-version', version, '--server', go.addr, '--to', `127.0.0.1:${target}`]);
    const exit = await go.exited;
    expect({ code: exit.code, events: exit.events, stderr: exit.stderr }).toMatchObject({ code: 0 });
    const streams = streamEvents(exit.events);
    expect(streams.map((e) => e.id).sort()).toEqual([2, 4, 6, 8]);
    for (const e of streams) expect(e).toMatchObject({ ok: true, opened: true, sha256_received: goPatternSha256(e.id as number, 256 * 1024) });
  });
});

describe('wisp-rx tunnel stats line', () => {
  it('SIGUSR2 prints sessions, streams and bytes each way; --stats-interval is validated', async () => {
    const target = await echoServer();
    const server = await tunnel(['server', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${target}`]);
    const client = await tunnel(['client', '--server', `127.0.0.1:${server.port}`, '--listen', '127.0.0.1:0']);
    const data = payload(100_000, 3);
    expect(sha(await roundTrip(client.port, data, true))).toBe(sha(data));
    client.cli.child.kill('SIGUSR2');
    const [, sessions, streams, bytesIn, bytesOut] = await client.cli.waitFor(/stats sessions=(\d+) \(total \d+\) streams=\d+ \(total (\d+)\) bytes_in=(\d+) bytes_out=(\d+)/);
    expect([Number(sessions), Number(streams), Number(bytesIn), Number(bytesOut)]).toEqual([1, 1, 100_000, 100_000]);
  });
});

describe('wisp-rx tunnel options', () => {
  it('--help lists the protocol options and exits 0', async () => {
    const cli = new Cli(['tunnel', '--help']);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    for (const flag of ['--protocol', '--smux-version', '--yamux-version', '--window', '--stats-interval', '--keepalive-interval', '--keepalive-timeout', '--max-frame-size', '--max-receive-buffer', '--max-stream-buffer', '--expose']) {
      expect(cli.stdout).toContain(flag);
    }
  });

  it.each([
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--stats-interval', 'often'], /--stats-interval/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--protocol', 'yamux', '--window', '1000'], /window 1000/],
    [['tunnel'], /tunnel server" or "tunnel client/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0'], /--to HOST:PORT or --expose/],
    [['tunnel', 'client', '--listen', '127.0.0.1:0'], /--server HOST:PORT is required/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--smux-version', '3'], /--smux-version: expected 1 or 2/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--protocol', 'nope'], /unknown tunnel protocol "nope"/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--keepalive-interval', '5000', '--keepalive-timeout', '1000'], /keep-alive timeout must be larger/],
    [['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--max-frame-size', '70000'], /max frame size must not be larger than 65535/],
  ])('%j exits 2 with a message', async (args, message) => {
    const cli = new Cli(args);
    expect(await cli.waitForExit()).toEqual({ code: 2, signal: null });
    expect(cli.stderr).toMatch(message);
  });

  it('a client whose server is not there exits 1', async () => {
    const cli = new Cli(['tunnel', 'client', '--server', `127.0.0.1:${await freePort()}`, '--listen', '127.0.0.1:0']);
    expect(await cli.waitForExit()).toEqual({ code: 1, signal: null });
    expect(cli.stderr).toMatch(/cannot start: .*connect/);
  });
});
