/**
 * Every example in examples/ is run here against loopback servers, through the built package
 * (`wisp-rx/node` is dist/, built by the global setup) exactly as a user would run it; the
 * command lines in the examples' headers are run as written (build/examples).
 */
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { ClientMux, ServerMux, isWispError, memoryTransportPair } from 'wisp-rx/node';
import { demo, latencyProbe, PROBE_ID } from '../examples/custom-extension';
import { echoOnce } from '../examples/echo-client';
import { startEchoServer } from '../examples/echo-server';
import { startForwardServer } from '../examples/forward-server';
import { firstAnswer } from '../examples/reactive';
import { measureThroughput } from '../examples/throughput';
import { freePort } from './support/ports';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function listen(handler: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

/** Runs `node build/examples/NAME.js ...args`; resolves with its output and exit code. */
function runExample(name: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(__dirname, '..', 'build', 'examples', `${name}.js`);
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('examples', () => {
  it('echo-server + echo-client', async () => {
    const server = await startEchoServer();
    cleanup.push(server.close);
    expect(await echoOnce(server.url, 'hello, wisp')).toBe('hello, wisp');
  });

  it('forward-server relays to a TCP target, and the throughput client measures it', async () => {
    let received = 0;
    const discard = await listen((socket) => socket.on('data', (d) => (received += d.length)).on('error', () => undefined));
    const server = await startForwardServer();
    cleanup.push(server.close);
    const result = await measureThroughput(server.url, `127.0.0.1:${discard}`, { streams: 3, mibPerStream: 2 });
    expect(result.bytes).toBe(3 * 2 * 1024 * 1024);
    expect(result.mibPerSecond).toBeGreaterThan(0);
    // Every byte written must reach the target before the streams close.
    const deadline = Date.now() + 5000;
    while (received < result.bytes && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(received).toBe(result.bytes);
  });

  it('forward-server closes a stream whose dial failed, so awaiting confirmation rejects with the reason', async () => {
    const server = await startForwardServer();
    cleanup.push(server.close);
    const mux = await ClientMux.connect(server.url);
    cleanup.push(() => mux.close());
    const port = await freePort();
    const error: unknown = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isWispError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 0x44 }); // ConnectionRefused
  });

  it('reactive: the first target to answer wins', async () => {
    const quick = await listen((socket) => socket.on('data', (d) => socket.write(`quick:${d.toString()}`)));
    // Reads and discards (so it notices the close) but never answers.
    const silent = await listen((socket) => socket.on('error', () => undefined).resume());
    const server = await startForwardServer();
    cleanup.push(server.close);
    const result = await firstAnswer(server.url, [['127.0.0.1', silent], ['127.0.0.1', quick]], 'ping');
    expect(result).toEqual({ winner: ['127.0.0.1', quick], answer: 'quick:ping' });
  });

  it('reactive, run as its header says: a refusing target drops out instead of crashing the race', async () => {
    const echo = await listen((socket) => socket.on('error', () => undefined).pipe(socket));
    const server = await startForwardServer();
    cleanup.push(server.close);
    const refused = await freePort();
    const run = await runExample('reactive', [server.url, `127.0.0.1:${refused}`, `127.0.0.1:${echo}`]);
    expect(run).toEqual({ code: 0, stdout: `127.0.0.1:${echo} answered "ping\\n"\n`, stderr: '' });
  });

  it('reactive, run as its header says: exits 1 with a reason when every target refuses', async () => {
    const server = await startForwardServer();
    cleanup.push(server.close);
    const run = await runExample('reactive', [server.url, `127.0.0.1:${await freePort()}`]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'StreamClosed: every target closed without answering\n' });
  });
});

describe('custom extension example', () => {
  it('agrees the extension and answers every probe', async () => {
    const { extensionIds, rounds } = await demo({ count: 5 });
    expect(extensionIds).toContain(PROBE_ID);
    expect(rounds).toHaveLength(5);
    for (const ms of rounds) expect(ms).toBeGreaterThan(0);
  });

  it('is not in force, and refuses to ping, when the server does not list it', async () => {
    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2' });
    ServerMux.accept(s);
    const mux = await ClientMux.connect(c, { extensions: [latencyProbe()] });
    expect(mux.extension(PROBE_ID)).toBeUndefined();
    await mux.close();
  });

  it('runs as its header says', async () => {
    const run = await runExample('custom-extension', []);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^round trips \(ms\): (\d+\.\d{3}(, |\n$)){5}/);
  });
});
