/**
 * Client-side CLI polish: --version, connect timeouts, wss:// trust (--ca, --insecure),
 * forward binding before it connects, keygen, and the messages of failed connections.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { ServerMux } from '../../lib/wisp/server-mux';
import { echoStream } from '../../lib/testing/memory-pair';
import { wsTransport } from '../../lib/transport/ws';
import { Cli, cleanAll, cleanup, freePort, startServe, tcpServer, tempDir } from './helpers';

afterEach(cleanAll);

const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** A wss:// Wisp echo server with a fresh self-signed certificate for 127.0.0.1. */
async function wssEcho(): Promise<{ url: string; certFile: string }> {
  const dir = tempDir();
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    ServerMux.accept(wsTransport(socket)).streams$.subscribe({ next: echoStream, error: () => undefined });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const client of wss.clients) client.terminate();
    return new Promise((r) => server.close(r));
  });
  return { url: `wss://127.0.0.1:${(server.address() as AddressInfo).port}/`, certFile: cert };
}

describe('wisp-rx --version', () => {
  it.each([[['--version']], [['nc', '--version']], [['forward', '--version']], [['serve', '--version']], [['keygen', '-V']]])('%j prints the version', async (args) => {
    const cli = new Cli(args);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toBe(`wisp-rx ${version}\n`);
  });
});

describe('client connect timeouts', () => {
  it.each(['nc', 'forward'])('%s gives up on a server that never answers the upgrade', async (command) => {
    const silent = await tcpServer((socket) => socket.resume()); // accepts, never answers
    const url = `ws://127.0.0.1:${silent}/`;
    const args = command === 'nc' ? ['nc', '--server', url, '--connect-timeout', '300', 'example.com', '80'] : ['forward', '--server', url, '--connect-timeout', '300', '--listen', '127.0.0.1:0', '--to', 'example.com:80'];
    const cli = new Cli(args);
    expect((await cli.waitForExit()).code).toBe(1);
    // One prefix, not "cannot connect to URL: TransportError: cannot connect to URL: …".
    expect(cli.stderr).toMatch(new RegExp(`^wisp-rx ${command}: cannot connect to ws://127\\.0\\.0\\.1:${silent}/: TransportError: (?!cannot connect)`));
    expect(cli.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('wss:// trust', () => {
  it('refuses a self-signed server by default, trusts it with --ca, accepts it with --insecure', async () => {
    const { url, certFile } = await wssEcho();
    const untrusted = new Cli(['nc', '--server', url, 'echo', '7']);
    expect((await untrusted.waitForExit()).code).toBe(1);
    expect(untrusted.stderr).toMatch(/self[- ]signed|unable to verify/i);
    for (const trust of [['--ca', certFile], ['--insecure']]) {
      const cli = new Cli(['nc', '-q', '0', '--server', url, ...trust, 'echo', '7'], { stdin: true });
      cli.child.stdin!.write('over tls\n');
      await cli.waitFor(/over tls\n/);
      cli.child.stdin!.end();
      expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    }
  });

  it('--ca on a ws:// server is a usage error', async () => {
    const cli = new Cli(['nc', '--server', 'ws://127.0.0.1:1/', '--insecure', 'h', '1']);
    expect((await cli.waitForExit()).code).toBe(2);
  });
});

describe('wisp-rx forward start-up', () => {
  it('reports a taken port before connecting to the server', async () => {
    const taken = await tcpServer(() => undefined);
    const { url } = await startServe();
    const cli = new Cli(['forward', '--server', url, '--listen', `127.0.0.1:${taken}`, '--to', 'example.com:80']);
    expect((await cli.waitForExit()).code).toBe(1);
    expect(cli.stderr).toBe(`wisp-rx forward: cannot listen on 127.0.0.1:${taken}: listen EADDRINUSE: address already in use 127.0.0.1:${taken}\n`);
  });
});

describe('wisp-rx keygen', () => {
  it('writes a key pair that nc --key and serve --key-file accept', async () => {
    const dir = tempDir();
    const key = path.join(dir, 'client.key');
    const gen = new Cli(['keygen', '--out', key]);
    expect(await gen.waitForExit()).toEqual({ code: 0, signal: null });
    expect(gen.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(fs.readFileSync(`${key}.pub`, 'utf8')).toBe(gen.stdout);
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    const again = new Cli(['keygen', '--out', key]);
    expect((await again.waitForExit()).code).toBe(2); // no silent overwrite

    const echo = await tcpServer((socket) => socket.pipe(socket));
    const { url } = await startServe(['--allow-loopback', '--key-file', `${key}.pub`]);
    const cli = new Cli(['nc', '-q', '0', '--server', url, '--key', key, '127.0.0.1', String(echo)], { stdin: true });
    cli.child.stdin!.write('signed\n');
    await cli.waitFor(/signed\n/);
    cli.child.stdin!.end();
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
  });
});

describe('gateway messages', () => {
  it('a failed handshake is one log line at info', async () => {
    const serve = await startServe(['--user', 'alice:secret']);
    const cli = new Cli(['nc', '--server', serve.url, '--user', 'alice:wrong', 'example.com', '80']);
    expect((await cli.waitForExit()).code).toBe(1);
    await serve.cli.waitFor(/conn 1 \S+ closed/);
    expect(serve.cli.stderr.split('\n').filter((l) => l.includes('conn 1 ') && !l.includes(' open '))).toHaveLength(1);
  });

  it('a numeric string in the config file is refused', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'wisp.json'), JSON.stringify({ port: String(await freePort()) }));
    const cli = new Cli(['serve', '--config', path.join(dir, 'wisp.json')]);
    expect((await cli.waitForExit()).code).toBe(2);
    expect(cli.stderr).toMatch(/wisp\.json: port: expected an integer from 0 to 65535 \(a JSON number\), got "\d+"/);
  });
});
