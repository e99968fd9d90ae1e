/** `wisp-rx serve` shutdown, stats and `--workers`. */
import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { Cli, cleanAll, connect, startServe, tcpServer } from './helpers';

afterEach(cleanAll);

const greeter = (): Promise<number> => tcpServer((socket) => socket.end('hello\n'));

/** Opens a stream through `url` to a greeter and returns what it said. */
async function greet(url: string, port: number): Promise<string> {
  const mux = await connect(url);
  const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
  let text = '';
  await new Promise<void>((resolve, reject) => stream.data$.subscribe({ next: (d) => (text += Buffer.from(d).toString()), complete: resolve, error: reject }));
  await mux.close();
  return text;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('wisp-rx serve lifecycle', () => {
  it('SIGTERM with live streams: every client sees its streams and connection closed, and serve exits 0 in time', async () => {
    const echo = await tcpServer((socket) => socket.pipe(socket));
    const { cli, url } = await startServe(['--allow-loopback', '--shutdown-grace', '2000']);
    const muxes = await Promise.all([connect(url), connect(url)]);
    const streams = await Promise.all(muxes.flatMap((mux) => [1, 2].map(() => mux.open('tcp', '127.0.0.1', echo, { awaitConfirmation: true }))));
    const streamCloses = streams.map((s) => firstValueFrom(s.closed$));
    const muxCloses = muxes.map((m) => firstValueFrom(m.closed$));
    // Each stream is live: data goes round trip before the signal.
    for (const stream of streams) {
      const back = firstValueFrom(stream.data$);
      await stream.write(Buffer.from('ping'));
      expect(Buffer.from(await back).toString()).toBe('ping');
    }

    const sent = Date.now();
    cli.child.kill('SIGTERM');
    expect(await cli.waitForExit(5000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(4000);
    expect(await Promise.all(streamCloses)).toEqual(streams.map(() => CloseReason.Voluntary));
    expect(await Promise.all(muxCloses)).toEqual(muxes.map(() => ({ reason: CloseReason.Voluntary })));
    expect(cli.stderr).toMatch(/SIGTERM: closing 2 connection\(s\)/);
  });

  it('SIGINT stops an idle gateway with exit 0; SIGUSR2 prints a stats line first', async () => {
    const port = await greeter();
    const { cli, url } = await startServe(['--allow-loopback', '--log-level', 'silent']);
    expect(await greet(url, port)).toBe('hello\n');
    cli.child.kill('SIGUSR2');
    await cli.waitFor(/stats connections=0 \(total 1\) streams=0 \(total 1\) bytes_up=0 bytes_down=6 event_loop_lag_ms=[\d.]+\/[\d.]+ waiting_turns=0 heap_mib=[\d.]+/);
    cli.child.kill('SIGINT');
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    expect(cli.stderr.trim().split('\n')).toHaveLength(1); // silent: nothing but the requested stats line
  });

  it('--stats-interval prints stats lines periodically', async () => {
    const { cli } = await startServe(['--stats-interval', '1']);
    await cli.waitFor(/stats connections=0 \(total 0\)[^\n]*\n[^\n]*stats connections=0/, 5000);
  });

  it('--workers 2: both workers answer on one port, a killed worker is restarted, SIGTERM ends them all', async () => {
    const port = await greeter();
    const { cli, url } = await startServe(['--allow-loopback', '--workers', '2']);
    expect(cli.stdout).toBe(`listening on ${url}\n`); // announced once, for all workers
    const pids = [...cli.stderr.matchAll(/worker (\d) started \(pid (\d+)\)/g)].map((m) => Number(m[2]));
    expect(pids).toHaveLength(2);

    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await greet(url, port));
    expect(answers).toEqual(Array(6).fill('hello\n'));
    expect(cli.stderr).toMatch(/worker 1: conn \d+ 127\.0\.0\.1 open/);
    expect(cli.stderr).toMatch(/worker 2: conn \d+ 127\.0\.0\.1 open/);

    cli.child.kill('SIGUSR2');
    await cli.waitFor(/workers=2\/2 stats connections=0 \(total 6\) streams=0 \(total 6\)/);

    process.kill(pids[0], 'SIGKILL');
    const restarted = Number((await cli.waitFor(/worker 1 started \(pid \d+\)[^]*worker 1 started \(pid (\d+)\)/))[1]);
    expect(cli.stderr).toMatch(/worker 1 exited unexpectedly \(signal SIGKILL\); restarting in 100 ms/);
    for (let i = 0; i < 4; i++) expect(await greet(url, port)).toBe('hello\n');

    cli.child.kill('SIGTERM');
    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    for (const pid of [pids[1], restarted]) expect(alive(pid)).toBe(false);
    expect(cli.stdout).toBe(`listening on ${url}\n`);
  });

  it('a port already taken: exit 1 with the reason, in one process and with --workers 2', async () => {
    const { url } = await startServe();
    const port = new URL(url).port;
    const single = new Cli(['serve', '--port', port]);
    expect(await single.waitForExit()).toEqual({ code: 1, signal: null });
    expect(single.stderr).toMatch(/^wisp-rx serve: listen EADDRINUSE[^\n]*\n$/);
    const workers = new Cli(['serve', '--port', port, '--workers', '2']);
    expect(await workers.waitForExit()).toEqual({ code: 1, signal: null });
    expect(workers.stderr).toMatch(/EADDRINUSE/);
    expect(workers.stderr).toMatch(/worker \d failed to start \(code 1\)/);
    expect(workers.stdout).toBe('');
  });
});
