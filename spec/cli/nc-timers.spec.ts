/** `wisp-rx nc` against servers that do not close: -q, --close-on-eof, -w, and lost data. */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cli, cleanAll, cleanup, startServe, tcpServer } from './helpers';

afterEach(cleanAll);

/** Collects a child's stdout as bytes. */
function collect(cli: Cli): () => Buffer {
  const out: Buffer[] = [];
  cli.child.stdout!.on('data', (d: Buffer) => out.push(d));
  return () => Buffer.concat(out);
}

describe('wisp-rx nc timers', () => {
  it('-q 1 against an echo server returns every byte of 300,000, then exits 0', async () => {
    const echo = await tcpServer((socket) => socket.pipe(socket));
    const { url } = await startServe(['--allow-loopback']);
    const payload = randomBytes(300_000);
    const cli = new Cli(['nc', '-q', '1', '--server', url, '127.0.0.1', String(echo)], { stdin: true });
    const out = collect(cli);
    cli.child.stdin!.end(payload);
    expect(await cli.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(out().length).toBe(payload.length);
    expect(out().equals(payload)).toBe(true);
  });

  it('--close-on-eof prints the whole HTTP response (keep-alive server that never closes)', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '6', connection: 'keep-alive' });
      res.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => (server.closeAllConnections(), new Promise((r) => server.close(r))));
    const { url } = await startServe(['--allow-loopback']);
    const port = (server.address() as AddressInfo).port;
    const cli = new Cli(['nc', '--close-on-eof', '--server', url, '127.0.0.1', String(port)], { stdin: true });
    cli.child.stdin!.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await cli.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello\n$/);
  });

  it('-w 1 closes a silent stream once nothing moved for a second, exit 0', async () => {
    const silent = await tcpServer((socket) => socket.resume());
    const { url } = await startServe(['--allow-loopback']);
    const cli = new Cli(['nc', '-w', '1', '--server', url, '127.0.0.1', String(silent)], { stdin: true });
    cli.child.stdin!.write('x');
    expect(await cli.waitForExit(20_000)).toEqual({ code: 0, signal: null });
  });

  it('does not report success when the remote closes before stdin was sent', async () => {
    // Reads a little, then closes: most of the 8 MiB cannot be delivered.
    const closer = await tcpServer((socket) => socket.once('data', () => socket.destroy()));
    const { url } = await startServe(['--allow-loopback']);
    const cli = new Cli(['nc', '--server', url, '127.0.0.1', String(closer)], { stdin: true });
    cli.child.stdin!.end(Buffer.alloc(8 * 1024 * 1024));
    const exit = await cli.waitForExit(20_000);
    expect(exit.code).toBe(1);
    expect(cli.stderr).toMatch(/^wisp-rx nc: stream closed/);
  });

  it('refuses a bad -q value with exit 2', async () => {
    const cli = new Cli(['nc', '-q', 'soon', '--server', 'ws://127.0.0.1:1/', 'h', '1']);
    expect((await cli.waitForExit()).code).toBe(2);
    expect(cli.stderr).toBe('wisp-rx nc: --quit-after-eof: expected an integer from 0 to 2147483, got "soon"\n');
  });
});
