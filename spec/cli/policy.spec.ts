/** The destination policy flags of `wisp-rx serve`, observed through `wisp-rx nc` and a ClientMux. */
import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { Cli, cleanAll, connect, startServe, tcpServer } from './helpers';
import { stringContaining } from '../matchers';

afterEach(cleanAll);

/** A TCP server that greets and closes. */
const greeter = (): Promise<number> => tcpServer((socket) => socket.end('hello\n'));

/** Runs `wisp-rx nc` to host:port and waits for it to exit. */
async function nc(url: string, host: string, port: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new Cli(['nc', '--server', url, host, String(port)], { stdin: true });
  const { code } = await cli.waitForExit();
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

describe('wisp-rx serve destination policy', () => {
  it('refuses 127.0.0.1 and localhost by default with HostBlocked (0x48)', async () => {
    const port = await greeter();
    const { url } = await startServe();
    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await nc(url, host, port);
      expect(result).toEqual({ code: 1, stdout: '', stderr: 'wisp-rx nc: stream closed: HostBlocked (0x48)\n' });
    }
    const mux = await connect(url);
    for (const host of ['127.0.0.1', 'localhost']) {
      const stream = await mux.open('tcp', host, port);
      expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
    }
  });

  it('--allow-loopback lets 127.0.0.1 and localhost through', async () => {
    const port = await greeter();
    const { url } = await startServe(['--allow-loopback']);
    for (const host of ['127.0.0.1', 'localhost']) {
      expect(await nc(url, host, port)).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    }
  });

  it('--port-deny refuses the ports in its range and no others', async () => {
    const denied = await greeter();
    const allowed = await greeter();
    const { url } = await startServe(['--allow-loopback', '--port-deny', `${denied}-${denied},1-2`]);
    expect(await nc(url, '127.0.0.1', denied)).toMatchObject({ code: 1, stderr: stringContaining('HostBlocked (0x48)') });
    expect(await nc(url, '127.0.0.1', allowed)).toMatchObject({ code: 0, stdout: 'hello\n' });
    const mux = await connect(url);
    const stream = await mux.open('tcp', '127.0.0.1', denied);
    expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
  });

  it('--port-allow and --no-udp narrow what gets through', async () => {
    const port = await greeter();
    const other = await greeter();
    const { url } = await startServe(['--allow-loopback', '--port-allow', String(port), '--no-udp']);
    expect(await nc(url, '127.0.0.1', port)).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(await nc(url, '127.0.0.1', other)).toMatchObject({ code: 1, stderr: stringContaining('HostBlocked (0x48)') });
    const udp = new Cli(['nc', '--udp', '--server', url, '127.0.0.1', String(port)], { stdin: true });
    expect((await udp.waitForExit()).code).toBe(1);
    expect(udp.stderr).toMatch(/^wisp-rx nc: cannot open the stream: ExtensionsNotSupported/);
  });
});
