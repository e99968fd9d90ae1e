/** `wisp-rx nc`: stdin → one stream → stdout, exit codes and reasons. */
import { randomBytes } from 'node:crypto';
import { Cli, cleanAll, freePort, startServe, tcpServer, udpEcho } from './helpers';

afterEach(cleanAll);

describe('wisp-rx nc', () => {
  it('carries binary data both ways unchanged and exits 0 when the remote closes', async () => {
    const payload = randomBytes(256 * 1024);
    // Echoes everything once it has all of it, then closes.
    const port = await tcpServer((socket) => {
      const chunks: Buffer[] = [];
      let size = 0;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size === payload.length) socket.end(Buffer.concat(chunks));
      });
    });
    const { url } = await startServe(['--allow-loopback']);
    const cli = new Cli(['nc', '--server', url, '127.0.0.1', String(port)], { stdin: true });
    const out: Buffer[] = [];
    cli.child.stdout!.on('data', (d: Buffer) => out.push(d));
    cli.child.stdin!.end(payload);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    expect(Buffer.concat(out).equals(payload)).toBe(true);
    expect(cli.stderr).toBe('');
  });

  it('exits 1 and prints the reason when the destination refuses the connection', async () => {
    const port = await freePort();
    const { url } = await startServe(['--allow-loopback']);
    const cli = new Cli(['nc', '--server', url, '127.0.0.1', String(port)], { stdin: true });
    expect((await cli.waitForExit()).code).toBe(1);
    expect(cli.stderr).toBe('wisp-rx nc: stream closed: ConnectionRefused (0x44)\n');
  });

  it('exits 1 with the reason when the server cannot be reached', async () => {
    const port = await freePort();
    const cli = new Cli(['nc', '--server', `ws://127.0.0.1:${port}/`, 'example.com', '80'], { stdin: true });
    expect((await cli.waitForExit()).code).toBe(1);
    expect(cli.stderr).toMatch(/^wisp-rx nc: cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: TransportError/);
  });

  it('--udp: each stdin line is a datagram; SIGTERM closes the stream and exits 0', async () => {
    const echo = await udpEcho();
    const { url } = await startServe(['--allow-loopback']);
    const cli = new Cli(['nc', '--udp', '--server', url, '127.0.0.1', String(echo)], { stdin: true });
    cli.child.stdin!.write('first\nsecond\n');
    await cli.waitFor(/first\nsecond\n/);
    cli.child.kill('SIGTERM');
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
