/** Listeners: addresses, Unix sockets with modes, TLS and its reload (all on this machine). */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createWebServer, listenOn, parseListenAddress, reloadTls } from '../../lib/server/listeners';
import { selfSignedCertificate } from '../support/certificates';
import { thrownBy } from '../matchers';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-listen-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The certificate a TLS client sees at `port`, as its SHA-256 fingerprint. */
function peerFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('listeners', () => {
  it('parses HOST:PORT, [v6]:PORT, :PORT and unix:/path; refuses the rest', () => {
    expect(parseListenAddress('0.0.0.0:8080')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 8080 });
    expect(parseListenAddress('[::1]:4000')).toEqual({ kind: 'tcp', host: '::1', port: 4000 });
    expect(parseListenAddress(':4000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 4000 });
    expect(parseListenAddress('unix:/run/wisp.sock')).toEqual({ kind: 'unix', path: '/run/wisp.sock' });
    expect(parseListenAddress('unix:///run/wisp.sock')).toEqual({ kind: 'unix', path: '/run/wisp.sock' });
    for (const bad of ['4000', 'host', 'host:99999', 'unix:', 'a:b:1']) expect(thrownBy(() => parseListenAddress(bad))).toMatchObject({ code: 'InvalidArgument' });
  });

  it('listens on a Unix socket with the mode asked for, replaces a stale socket file, refuses a live one, removes the file on close', async () => {
    const socketPath = path.join(tempDir(), 'gw.sock');
    // A stale socket: bound by a process that exited without unlinking it (as after a crash;
    // Node itself always unlinks, so another program makes it).
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath]);
    expect(fs.statSync(socketPath).isSocket()).toBe(true);

    const server = net.createServer((socket) => socket.on('error', () => undefined).end('hi'));
    await listenOn(server, { kind: 'unix', path: socketPath, mode: 0o660 });
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o660);
    const greeting = await new Promise<string>((resolve) => {
      const client = net.connect(socketPath);
      let text = '';
      client.on('data', (d) => (text += d.toString()));
      client.on('end', () => resolve(text));
    });
    expect(greeting).toBe('hi');
    await expect(listenOn(net.createServer(), { kind: 'unix', path: socketPath })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await closeServer(server);
    expect(fs.existsSync(socketPath)).toBe(false);
  });

  it('serves TLS with the given files and reloads a renewed certificate for new connections', async () => {
    const first = selfSignedCertificate('first');
    const second = selfSignedCertificate('second');
    cleanup.push(() => [first, second].forEach((c) => fs.rmSync(c.dir, { recursive: true, force: true })));
    const files = { cert: path.join(first.dir, 'live-cert.pem'), key: path.join(first.dir, 'live-key.pem') };
    fs.copyFileSync(first.cert, files.cert);
    fs.copyFileSync(first.key, files.key);
    const server = createWebServer({}, files, (_req, res) => res.end('ok')) as https.Server;
    expect(server).toBeInstanceOf(https.Server);
    await listenOn(server, { kind: 'tcp', host: '127.0.0.1', port: 0 });
    cleanup.push(() => closeServer(server));
    const port = (server.address() as net.AddressInfo).port;
    const before = await peerFingerprint(port, fs.readFileSync(first.cert));

    fs.copyFileSync(second.cert, files.cert);
    fs.copyFileSync(second.key, files.key);
    reloadTls(server, files);
    const after = await peerFingerprint(port, fs.readFileSync(second.cert));
    expect(after).not.toBe(before);

    // A broken renewal leaves the working pair in place.
    fs.writeFileSync(files.key, 'not a key');
    expect(() => reloadTls(server, files)).toThrow();
    expect(await peerFingerprint(port, fs.readFileSync(second.cert))).toBe(after);
  });
});
