/**
 * wisp-js 0.5.0's browser client (dist/wisp-client.mjs) in Chromium against the real
 * `wisp-rx serve`: v2 (MOTD, UDP extension) and v1, TCP echo by hash and UDP datagrams.
 */
import { run } from './harness/browser';
import { browserSuite } from './harness/suite';
import { tcpEcho, udpEcho } from './harness/targets';

const suite = browserSuite(['wisp-js']);

describe.each([2, 1])('wisp-js browser client (wisp_version %i) → wisp-rx serve', (version) => {
  it(`opens as v${version}${version === 2 ? ' with MOTD and UDP' : ''}`, async () => {
    const { url } = await suite.serve('--motd', 'from wisp-rx');
    const page = await suite.open('wisp-js');
    const hello = await run(page, 'hello', url, version);
    expect(hello).toEqual(version === 2 ? { version: 2, motd: 'from wisp-rx', udp: true } : { version: 1, motd: null, udp: true });
  });

  it('echoes 1 MiB over TCP (SHA-256)', async () => {
    const { url } = await suite.serve();
    const port = await tcpEcho();
    const page = await suite.open('wisp-js');
    const echo = await run<{ sent: string; received: string; length: number }>(page, 'tcpEcho', url, port, 1024 * 1024, version);
    expect(echo.length).toBe(1024 * 1024);
    expect(echo.received).toBe(echo.sent);
  });

  it('carries UDP datagrams', async () => {
    const { url } = await suite.serve();
    const port = await udpEcho();
    const page = await suite.open('wisp-js');
    const sizes = [1, 512, 1400, 8000];
    expect(await run(page, 'udpEcho', url, port, sizes, version)).toEqual(sizes.map((size) => ({ size, same: true })));
  });
});

it('wisp-js (v2) falls back to v1 against serve --v1-only', async () => {
  const { url } = await suite.serve('--v1-only', '--motd', 'unseen');
  const port = await tcpEcho();
  const page = await suite.open('wisp-js');
  expect(await run(page, 'hello', url, 2)).toEqual({ version: 1, motd: null, udp: true });
  const echo = await run<{ sent: string; received: string }>(page, 'tcpEcho', url, port, 256 * 1024, 2);
  expect(echo.received).toBe(echo.sent);
});
