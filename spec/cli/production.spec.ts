/**
 * `wisp-rx serve` for production, end to end against the spawned process (loopback and
 * temporary Unix sockets only): TLS and its reload, Unix listeners, Wisp over length-delimited
 * TCP and Unix sockets with `forward`, wsproxy, metrics, DNS through our own responder, and
 * per-client limits held across `--workers` and across gateways sharing Redis.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { ClientMux } from '../../lib/wisp/client-mux';
import { password } from '../../lib/wisp/extensions/password';
import { connectLengthDelimited } from '../../lib/transport/length-delimited';
import { connectWs, wsTransport } from '../../lib/transport/ws';
import { within } from '../mux/helpers';
import { startDnsResponder } from '../server/dns-responder';
import { selfSignedCertificate } from '../support/certificates';
import { startRedis } from '../support/redis';
import { cleanAll, cleanup, startForward, startServe, tcpServer, tempDir } from './helpers';

afterEach(cleanAll);

async function echoServer(): Promise<number> {
  return tcpServer((socket) => socket.pipe(socket));
}

/** A ClientMux over a `ws` socket made by `make` (for TLS options, Unix sockets). */
async function connectVia(url: string, make: (url: string, protocols: string[]) => WebSocket, options: { v2?: boolean; extensions?: never[] } = {}): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, { ...options, connector: (u, p) => Promise.resolve(wsTransport(make(u, [...p]))) });
  cleanup.push(() => mux.close());
  return mux;
}

async function echo(mux: ClientMux, host: string, port: number, text = 'ping'): Promise<string> {
  const stream = await mux.open('tcp', host, port, { awaitConfirmation: true });
  const back = firstValueFrom(stream.data$);
  await stream.write(new TextEncoder().encode(text));
  const reply = new TextDecoder().decode(await within(back, 5000, 'the echo'));
  stream.close();
  return reply;
}

function fingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** 429 or an open socket, for a raw upgrade attempt. */
function upgradeStatus(url: string, make?: (u: string) => WebSocket): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = make ? make(url) : new WebSocket(url);
    ws.once('open', () => (cleanup.push(() => ws.terminate()), resolve('open')));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

describe('wisp-rx serve in production', () => {
  it('serves wss:// itself with --tls-cert/--tls-key, and SIGHUP loads a renewed certificate', async () => {
    const dir = tempDir();
    const first = selfSignedCertificate('first');
    const second = selfSignedCertificate('second');
    cleanup.push(() => [first, second].forEach((c) => fs.rmSync(c.dir, { recursive: true, force: true })));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    fs.copyFileSync(first.cert, cert);
    fs.copyFileSync(first.key, key);
    const { cli, url } = await startServe(['--allow-loopback', '--tls-cert', cert, '--tls-key', key]);
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const port = Number(new URL(url).port);
    const mux = await connectVia(url, (u, p) => new WebSocket(u, p, { ca: fs.readFileSync(first.cert) }));
    expect(await echo(mux, '127.0.0.1', await echoServer())).toBe('ping');
    const before = await fingerprint(port, fs.readFileSync(first.cert));
    fs.copyFileSync(second.cert, cert);
    fs.copyFileSync(second.key, key);
    cli.child.kill('SIGHUP');
    await cli.waitFor(/TLS certificate reloaded/);
    expect(await fingerprint(port, fs.readFileSync(second.cert))).not.toBe(before);
  });

  it('listens on a Unix socket with --listen unix:PATH and --socket-mode', async () => {
    const socketPath = path.join(tempDir(), 'wisp.sock');
    const { url } = await startServe(['--allow-loopback', '--listen', `unix:${socketPath}`, '--socket-mode', '600']);
    expect(url).toBe(`unix:${socketPath}`);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    const mux = await connectVia(`ws+unix://${socketPath}:/`, (u, p) => new WebSocket(u, p));
    expect(await echo(mux, '127.0.0.1', await echoServer(), 'over unix')).toBe('over unix');
  });

  it('speaks Wisp length-delimited over TCP and Unix sockets (--transport length-delimited), with forward as the client', async () => {
    const target = await echoServer();
    const tcp = await startServe(['--allow-loopback', '--transport', 'length-delimited']);
    expect(tcp.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const mux = await ClientMux.connect(await connectLengthDelimited(tcp.url), { v2: false });
    cleanup.push(() => mux.close());
    expect(await echo(mux, '127.0.0.1', target)).toBe('ping');
    const forward = await startForward(['--server', tcp.url, '--to', `127.0.0.1:${target}`]);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(forward.port, '127.0.0.1', () => socket.write('via forward'));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString())));
      socket.once('error', reject);
    });
    expect(reply).toBe('via forward');

    const socketPath = path.join(tempDir(), 'ld.sock');
    const unix = await startServe(['--allow-loopback', '--transport', 'length-delimited', '--listen', `unix:${socketPath}`]);
    const overUnix = await ClientMux.connect(await connectLengthDelimited(unix.url), { v2: false });
    cleanup.push(() => overUnix.close());
    expect(await echo(overUnix, '127.0.0.1', target, 'ld unix')).toBe('ld unix');
  });

  it('accepts wsproxy connections with --wsproxy, under the same policy', async () => {
    const target = await echoServer();
    const open = await startServe(['--allow-loopback', '--wsproxy']);
    const ws = new WebSocket(`${open.url}127.0.0.1:${target}`);
    cleanup.push(() => ws.terminate());
    const reply = await within(
      new Promise<string>((resolve) => {
        ws.once('open', () => ws.send(Buffer.from('raw bytes')));
        ws.once('message', (data: Buffer) => resolve(data.toString()));
      }),
      5000,
      'the wsproxy echo',
    );
    expect(reply).toBe('raw bytes');
    const strict = await startServe(['--wsproxy']); // default policy: no loopback
    expect(await upgradeStatus(`${strict.url}127.0.0.1:${target}`)).toBe(403);
    const off = await startServe(['--allow-loopback']);
    expect(await upgradeStatus(`${off.url}127.0.0.1:${target}`)).toBe(404);
  });

  it('serves metrics, stats and the status page with --metrics, and under a path with --metrics-path', async () => {
    const target = await echoServer();
    const { cli, url } = await startServe(['--allow-loopback', '--metrics', '127.0.0.1:0', '--log-level', 'info']);
    const [, metricsUrl] = await cli.waitFor(/metrics on (http:\/\/\S+)/);
    const mux = await connectVia(url, (u, p) => new WebSocket(u, p));
    expect(await echo(mux, '127.0.0.1', target)).toBe('ping');
    await mux.open('tcp', '10.0.0.1', 22).then((s) => firstValueFrom(s.closed$)); // refused: private
    const text = await (await fetch(`${metricsUrl}metrics`)).text();
    expect(text).toMatch(/wisp_rx_connections_total\{version="v2"\} 1/);
    expect(text).toMatch(/wisp_rx_streams_total\{kind="tcp"\} 2/);
    expect(text).toMatch(/wisp_rx_refused_total\{reason="HostBlocked"\} 1/);
    expect(text).toMatch(/wisp_rx_bytes_up_total 4/);
    expect(text).toMatch(/wisp_rx_handshake_seconds_count\{outcome="ok"\} 1/);
    const stats = (await (await fetch(`${metricsUrl}stats.json`)).json()) as { connections: number; refusals: { target: string }[]; live: { label: string; version: number; streams: number }[] };
    expect(stats.connections).toBe(1);
    expect(stats.live).toEqual([expect.objectContaining({ label: 'conn 1 127.0.0.1', version: 2 })]);
    expect(stats.refusals[0].target).toBe('10.0.0.1:22');
    expect(await (await fetch(metricsUrl)).text()).toContain('<canvas id="chart"');

    const shared = await startServe(['--metrics-path', '/_wisp/']);
    const http = shared.url.replace(/^ws/, 'http');
    expect((await fetch(`${http}_wisp/metrics`)).status).toBe(200);
    expect(await (await fetch(http)).text()).toContain('wisp-rx gateway');
  });

  it('resolves targets through --dns-server (our responder on 127.0.0.1); the policy checks the answer', async () => {
    const dns = await startDnsResponder({ 'echo.test': { addresses: ['127.0.0.1'], ttl: 60 } });
    cleanup.push(() => dns.close());
    const target = await echoServer();
    const allowed = await startServe(['--allow-loopback', '--dns-server', dns.server, '--no-ipv6']);
    const mux = await connectVia(allowed.url, (u, p) => new WebSocket(u, p));
    expect(await echo(mux, 'echo.test', target, 'by name')).toBe('by name');
    const strict = await startServe(['--dns-server', dns.server]);
    const refused = await connectVia(strict.url, (u, p) => new WebSocket(u, p));
    const stream = await refused.open('tcp', 'echo.test', target);
    expect(await firstValueFrom(stream.closed$)).toBe(0x48); // resolves to loopback: blocked
    expect(dns.queries.some((q) => q.name === 'echo.test')).toBe(true);
  });

  it('holds per-client connection limits across --workers', async () => {
    const { url } = await startServe(['--workers', '2', '--max-connections-per-client', '2']);
    // Two connections are allowed in all, whichever workers take them; the rest are refused.
    const statuses: ('open' | number)[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await upgradeStatus(url));
    expect(statuses.filter((s) => s === 'open')).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });

  it('holds login lockouts across --workers', async () => {
    const { url } = await startServe(['--workers', '2', '--user', 'alice:right', '--auth-max-failures', '2']);
    const as = (pass: string) => ({ extensions: [password({ username: 'alice', password: pass })], connector: (u: string, p: readonly string[]) => connectWs(u, p) });
    // Two wrong passwords, on whichever workers, lock the address out on every worker.
    for (let i = 0; i < 2; i++) await expect(ClientMux.connect(url, as('wrong'))).rejects.toMatchObject({ reason: 0xc0 });
    for (let i = 0; i < 3; i++) await expect(ClientMux.connect(url, as('right'))).rejects.toMatchObject({ reason: 0x49 });
  });

  it('shares per-client connection limits between gateways through --redis', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const gateways = await Promise.all([1, 2].map(() => startServe(['--redis', redis.url, '--max-connections-per-client', '1'])));
    expect(await upgradeStatus(gateways[0].url)).toBe('open');
    expect(await upgradeStatus(gateways[1].url)).toBe(429);
  });

  it('sums stats over the gateways sharing --redis in /stats.json', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const target = await echoServer();
    const one = await startServe(['--redis', redis.url, '--allow-loopback', '--metrics', '127.0.0.1:0', '--log-level', 'info']);
    const two = await startServe(['--redis', redis.url, '--allow-loopback']);
    const [, metricsUrl] = await one.cli.waitFor(/metrics on (http:\/\/\S+)/);
    const muxes = [await connectVia(one.url, (u, p) => new WebSocket(u, p)), await connectVia(two.url, (u, p) => new WebSocket(u, p))];
    for (const mux of muxes) expect(await echo(mux, '127.0.0.1', target)).toBe('ping');
    // Each gateway publishes every 5 s (and at start); wait for a round that shows both connections.
    const cluster = async (): Promise<{ gateways: number; connections: number; bytesUp: number }> =>
      ((await (await fetch(`${metricsUrl}stats.json`)).json()) as { cluster: { gateways: number; connections: number; bytesUp: number } }).cluster;
    await within(waitForAsync(async () => (await cluster()).connections === 2), 15_000, 'both connections in the sum');
    expect(await cluster()).toMatchObject({ gateways: 2, connections: 2, bytesUp: 8 });
  }, 30_000);

  it('shares login lockouts between gateways through --redis', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const args = ['--redis', redis.url, '--user', 'alice:right', '--auth-max-failures', '1'];
    const [one, two] = await Promise.all([startServe(args), startServe(args)]);
    const as = (pass: string) => ({ extensions: [password({ username: 'alice', password: pass })], connector: (u: string, p: readonly string[]) => connectWs(u, p) });
    await expect(ClientMux.connect(one.url, as('wrong'))).rejects.toMatchObject({ reason: 0xc0 });
    await expect(ClientMux.connect(two.url, as('right'))).rejects.toMatchObject({ reason: 0x49 });
  });
});

async function waitForAsync(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}
