/**
 * epoxy-tls 2.1.19-1 (Rust wisp-mux in WebAssembly) in Chromium against the real `wisp-rx
 * serve`, both v2-capable and `--v1-only`, with epoxy's default options and with
 * `wisp_v2: true`: fetch of known bodies (5 MiB by hash, 20 in parallel), a 2 MiB POST hashed
 * by the target, connect_tcp echo and connect_udp.
 */
import type { Page } from 'playwright-core';
import type { Cli } from '../cli/helpers';
import { run } from './harness/browser';
import { browserSuite } from './harness/suite';
import { httpTarget, patternBytes, sha256Hex, tcpEcho, TEXT_BODY, udpEcho } from './harness/targets';

const suite = browserSuite(['epoxy']);

const MiB = 1024 * 1024;
// `wisp_v2` alone offers epoxy's random UUID subprotocol but not `wisp-v2`, so wisp-rx runs
// v1 for it; only with `websocket_protocols: ['wisp-v2']` does a v2 handshake happen.
const matrix = [
  { server: 'v2-capable', flags: [] as string[], v2: 'default', wire: 'v1' },
  { server: 'v2-capable', flags: [] as string[], v2: 'wisp_v2', wire: 'v1' },
  { server: 'v2-capable', flags: [] as string[], v2: 'wisp_v2+protocol', wire: 'v2' },
  { server: '--v1-only', flags: ['--v1-only'], v2: 'default', wire: 'v1' },
  { server: '--v1-only', flags: ['--v1-only'], v2: 'wisp_v2', wire: 'v1' },
  { server: '--v1-only', flags: ['--v1-only'], v2: 'wisp_v2+protocol', wire: 'v1' },
];

describe.each(matrix)('epoxy-tls → wisp-rx serve ($server), options $v2 → Wisp $wire', ({ flags, v2, wire }) => {
  let url: string;
  let cli: Cli;
  let page: Page;
  beforeEach(async () => {
    ({ url, cli } = await suite.serve(...flags, '--log-level', 'info'));
    page = await suite.open('epoxy');
  });

  it('loads epoxy 2.1.19 and fetches a known body, on the Wisp version expected', async () => {
    expect(await run<string>(page, 'version')).toMatch(/^2\.1\.19/);
    const http = await httpTarget();
    expect(await run(page, 'fetchText', url, `http://127.0.0.1:${http}/text`, v2)).toEqual({ status: 200, body: TEXT_BODY });
    // The gateway logs each connection's version: v2 only when `wisp-v2` was offered and allowed.
    await cli.waitFor(new RegExp(`open \\(${wire}\\)`));
    expect(cli.stderr).not.toMatch(new RegExp(`open \\((?!${wire})v\\d\\)`));
  });

  it('fetches a 5 MiB body intact (SHA-256)', async () => {
    const http = await httpTarget();
    const [result] = await run<{ status: number; length: number; sha256: string }[]>(page, 'fetchHashes', url, [`http://127.0.0.1:${http}/bytes?n=${5 * MiB}`], v2);
    expect(result).toEqual({ status: 200, length: 5 * MiB, sha256: sha256Hex(patternBytes(5 * MiB)) });
  });

  it('runs 20 fetches in parallel on one client', async () => {
    const http = await httpTarget();
    const sizes = Array.from({ length: 20 }, (_, i) => 1000 + i * 37_000);
    const results = await run(page, 'fetchHashes', url, sizes.map((n) => `http://127.0.0.1:${http}/bytes?n=${n}`), v2);
    expect(results).toEqual(sizes.map((n) => ({ status: 200, length: n, sha256: sha256Hex(patternBytes(n)) })));
  });

  it('POSTs 2 MiB (one DATA packet) and the target hashes it', async () => {
    const http = await httpTarget();
    const result = await run<{ status: number; sent: string; server: { length: number; sha256: string } }>(page, 'postHash', url, `http://127.0.0.1:${http}/hash`, 2 * MiB, v2);
    expect(result.status).toBe(200);
    expect(result.server).toEqual({ length: 2 * MiB, sha256: result.sent });
  });

  it('connect_tcp echoes 1 MiB', async () => {
    const port = await tcpEcho();
    const result = await run<{ sent: string; received: string; length: number }>(page, 'tcpEcho', url, `tcp://127.0.0.1:${port}`, MiB, v2);
    expect(result.length).toBe(MiB);
    expect(result.received).toBe(result.sent);
  });

  it('connect_udp carries datagrams', async () => {
    const port = await udpEcho();
    const sizes = [1, 512, 1400, 8000];
    const result = await run(page, 'udpEcho', url, `udp://127.0.0.1:${port}`, sizes, v2);
    expect(result).toEqual({ ok: true, results: sizes.map((size) => ({ size, same: true })) });
  });
});
