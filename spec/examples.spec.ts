/**
 * Every example in examples/ is run here against loopback servers, through the built package
 * (dist/, built by the global setup) exactly as a user would run it.
 */
import * as net from 'node:net';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startEchoServer } = require('../examples/echo-server.js');
const { echoOnce } = require('../examples/echo-client.js');
const { startForwardServer } = require('../examples/forward-server.js');
const { measureThroughput } = require('../examples/throughput.js');
const { firstAnswer } = require('../examples/reactive.js');

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

  it('reactive: the first target to answer wins', async () => {
    const quick = await listen((socket) => socket.on('data', (d) => socket.write(`quick:${d}`)));
    // Reads and discards (so it notices the close) but never answers.
    const silent = await listen((socket) => socket.on('error', () => undefined).resume());
    const server = await startForwardServer();
    cleanup.push(server.close);
    const result = await firstAnswer(server.url, [['127.0.0.1', silent], ['127.0.0.1', quick]], 'ping');
    expect(result.winner).toEqual(['127.0.0.1', quick]);
    expect(result.answer).toBe('quick:ping');
  });
});

describe('custom extension example', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { demo, latencyProbe, PROBE_ID } = require('../examples/custom-extension.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ClientMux, ServerMux, memoryTransportPair } = require('../dist/cjs/node.js');

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
});
