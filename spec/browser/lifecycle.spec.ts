/**
 * Pages going away and slow pages: a page closed mid-transfer with TCP and UDP streams open
 * must not hurt the gateway, and a paused reader on a fast download must hold the server up
 * over WebSocketStream (bounded memory) — while the standard WebSocket, which cannot stop
 * reading, absorbs the whole download (which is what makes the bound a real measurement).
 */
import { run } from './harness/browser';
import { browserSuite } from './harness/suite';
import { firehose, tcpEcho, udpEcho } from './harness/targets';

const suite = browserSuite(['wisp-rx']);
const MiB = 1024 * 1024;

it('a page closed mid-transfer leaves the gateway serving the next page', async () => {
  const { cli, url } = await suite.serve('--log-level', 'info');
  const tcpPort = await tcpEcho();
  const udpPort = await udpEcho();
  const first = await suite.open('wisp-rx');
  const flowing = await run<{ echoed: number }>(first, 'openAndAbandon', url, tcpPort, udpPort);
  expect(flowing.echoed).toBeGreaterThan(256 * 1024);
  await first.close(); // the page and its WebSocket go while the TCP writer loop runs
  // The gateway notices the connection end (its log line), and is still running.
  await cli.waitFor(/conn 1 .*(closed|end)/i);
  // (The gateway used to exit here: an unhandled UDP relay error; see spec/cli/endings.spec.ts.)
  expect({ exitCode: cli.child.exitCode, signal: cli.child.signalCode, output: cli.output }).toMatchObject({ exitCode: null, signal: null });
  const second = await suite.open('wisp-rx');
  const echo = await run<{ sent: string; received: string }>(second, 'tcpEcho', url, tcpPort, 256 * 1024);
  expect(echo.received).toBe(echo.sent);
  const datagrams = await run<{ size: number; same: boolean }[]>(second, 'udpEcho', url, udpPort, [100]);
  expect(datagrams).toEqual([{ size: 100, same: true }]);
  expect(cli.child.exitCode).toBeNull();
});

describe('a paused reader on a 96 MiB download', () => {
  const TOTAL = 96 * MiB;
  /**
   * Bytes that can sit between the target and a stopped reader: kernel socket buffers on
   * two loopback TCP connections, the gateway's outbound high water mark, Chromium's
   * network buffers and the client's receive budget. Well under the download.
   */
  const BOUND = 40 * MiB;

  it('over WebSocketStream (the default) holds the server up, then delivers everything', async () => {
    const { url } = await suite.serve();
    const target = await firehose(TOTAL);
    const page = await suite.open('wisp-rx');
    const started = await run<{ used: { WebSocketStream: number } }>(page, 'slowStart', url, target.port, 'default');
    expect(started.used.WebSocketStream).toBe(1);
    const accepted = await target.stalled(1_000, 20_000);
    expect(accepted).toBeLessThan(BOUND);
    const status = await run<{ received: number; heap: number | null }>(page, 'slowStatus');
    // The paused stream received its first chunks only; the rest waits outside the page.
    expect(status.received).toBeLessThan(BOUND);
    if (status.heap !== null) expect(status.heap).toBeLessThan(BOUND);
    const done = await run<{ received: number }>(page, 'slowFinish');
    expect(done.received).toBe(TOTAL);
  });

  it('over the standard WebSocket (forced) the page absorbs it all: no backpressure', async () => {
    const { url } = await suite.serve();
    const target = await firehose(TOTAL);
    const page = await suite.open('wisp-rx');
    await run(page, 'slowStart', url, target.port, 'websocket');
    // The reader is paused, yet the whole download leaves the target.
    await target.finished(30_000);
    expect(target.accepted()).toBe(TOTAL);
    const done = await run<{ received: number }>(page, 'slowFinish');
    expect(done.received).toBe(TOTAL);
  });
});
