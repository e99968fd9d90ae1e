/**
 * Pages going away and slow pages: a page closed mid-transfer with TCP and UDP streams open
 * must not hurt the gateway, and a paused reader on a fast download must hold the server up
 * over WebSocketStream (bounded memory) — while the standard WebSocket, which cannot stop
 * reading, absorbs the whole download (which is what makes the bound a real measurement).
 */
import fs from 'node:fs';
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

/**
 * The most Linux may buffer on one loopback TCP connection: its receive buffer can autotune up
 * to tcp_rmem's maximum and its send buffer up to tcp_wmem's (here 32 MiB and 4 MiB; the
 * kernel's defaults are 6 MiB and 4 MiB).
 */
function kernelBytesPerConnection(): number {
  const max = (file: string, fallback: number) => {
    try {
      return Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/)[2]) || fallback;
    } catch {
      return fallback;
    }
  };
  return max('/proc/sys/net/ipv4/tcp_rmem', 6 * MiB) + max('/proc/sys/net/ipv4/tcp_wmem', 4 * MiB);
}

describe('a paused reader on a download larger than every buffer on the way', () => {
  /**
   * Bytes that can leave the target while the reader is stopped: the kernel buffers of two
   * loopback TCP connections (target → gateway, gateway → Chromium), which autotuning grows
   * as it likes — under a loaded CI run one stall came at 46.6 MB, most at 12–14 MB — plus
   * 16 MiB for the gateway's outbound high water mark, Chromium's network buffers and the
   * client's receive budget.
   */
  const BOUND = 2 * kernelBytesPerConnection() + 16 * MiB;
  /** The download: 32 MiB beyond the bound, so that a missing backpressure cannot pass. */
  const TOTAL = Math.ceil((BOUND + 32 * MiB) / (64 * 1024)) * 64 * 1024;
  /** What the paused page may have taken: the chunks delivered before the pause held. */
  const PAGE_BOUND = 16 * MiB;
  /** The page's whole JS heap: its code, the receive budget and those chunks. */
  const PAGE_HEAP = 40 * MiB;

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
    expect(status.received).toBeLessThan(PAGE_BOUND);
    if (status.heap !== null) expect(status.heap).toBeLessThan(PAGE_HEAP);
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
