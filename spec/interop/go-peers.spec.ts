/**
 * Smoke test of the Go interop peers (interop/go) and their build helper, Go against Go:
 * proves the programs, their events and spec/support/go.ts work here (and in CI) before
 * wisp-rx speaks smux or yamux. Also pins the wire facts later tests lean on (first stream
 * ids, keepalive detection) and that goPattern matches the Go generator.
 */
import { buildGoPeers, goBench, goPatternSha256, startGoClient, startGoServer, streamEvents, type GoPeer, type GoPeerExit, type GoPeerName } from '../support/go';

const started: GoPeer[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((peer) => peer.kill()));
});

beforeAll(async () => {
  await buildGoPeers();
}, 180_000);

interface Pair {
  readonly server: GoPeerExit;
  readonly client: GoPeerExit;
}

/** Runs a Go server and a Go client against it until both end. */
async function pair(name: GoPeerName, serverArgs: readonly string[], clientArgs: readonly string[]): Promise<Pair> {
  const server = await startGoServer(name, serverArgs);
  started.push(server);
  const client = await startGoClient(name, server.addr, clientArgs);
  started.push(client);
  const [s, c] = await Promise.all([server.exited, client.exited]);
  return { server: s, client: c };
}

function describeExit(exit: GoPeerExit): string {
  return `code ${exit.code}\n${exit.events.map((e) => JSON.stringify(e)).join('\n')}\n${exit.stderr}`;
}

/** Both peers exited 0; otherwise the failure shows the peer's whole log. */
function expectClean(run: Pair): void {
  for (const [side, exit] of [['server', run.server], ['client', run.client]] as const) {
    if (exit.code !== 0) throw new Error(`the Go ${side} failed: ${describeExit(exit)}`);
  }
}

const KiB = 1024;

describe.each([1, 2])('Go smux v%i against Go smux', (version) => {
  const v = ['-version', String(version)];

  it('echo: the client checks 4 streams (ids 3, 5, 7, 9) byte for byte', async () => {
    const run = await pair('smux', [...v, '-role', 'echo'], [...v, '-role', 'echo-check', '-open', '4', '-bytes', '300K']);
    expectClean(run);
    const streams = streamEvents(run.client.events);
    expect(streams.map((e) => e.id).sort()).toEqual([3, 5, 7, 9]);
    for (const e of streams) {
      expect(e).toMatchObject({ ok: true, sent: 300 * KiB, received: 300 * KiB });
      expect(e.sha256_sent).toBe(goPatternSha256(e.id as number, 300 * KiB));
      expect(e.sha256_received).toBe(e.sha256_sent);
    }
    expect(streamEvents(run.server.events).map((e) => e.sha256_received).sort()).toEqual(streams.map((e) => e.sha256_sent).sort());
  });

  it('streams the server opens (ids 2, 4, 6): source to sink, sha256 checked', async () => {
    const run = await pair('smux', [...v, '-role', 'source', '-open', '3', '-bytes', '200K'], [...v, '-role', 'sink', '-expect', '3']);
    expectClean(run);
    const sinks = streamEvents(run.client.events);
    expect(sinks.map((e) => e.id).sort()).toEqual([2, 4, 6]);
    for (const e of sinks) expect(e).toMatchObject({ ok: true, opened: false, received: 200 * KiB, sha256_received: goPatternSha256(e.id as number, 200 * KiB) });
  });

  it('client source to server sink: the server, which knows the count, ends the connection', async () => {
    const run = await pair('smux', [...v, '-role', 'sink', '-expect', '5', '-end', 'self'], [...v, '-role', 'source', '-open', '5', '-bytes', '500K', '-end', 'peer']);
    expectClean(run);
    const sent = streamEvents(run.client.events).map((e) => e.sha256_sent).sort();
    expect(sent).toHaveLength(5);
    expect(streamEvents(run.server.events).map((e) => e.sha256_received).sort()).toEqual(sent);
  });
});

describe('Go smux: failures show', () => {
  it('a v1 client against a v2 server: the server sees a protocol error, the client fails', async () => {
    const run = await pair('smux', ['-version', '2', '-role', 'echo'], ['-version', '1', '-role', 'echo-check', '-open', '1', '-bytes', '64K', '-linger', '1s']);
    expect(run.server.events).toContainEqual(expect.objectContaining({ event: 'session-end', reason: 'protocol-error' }));
    expect(run.client.code).toBe(1);
    // Under load the client may be cut before it reports its stream at all; it never succeeds.
    expect(streamEvents(run.client.events).filter((e) => e.ok !== false)).toEqual([]);
  });

  it('keepalive: a server with a 500 ms timeout drops a silent client', async () => {
    const run = await pair('smux', ['-role', 'echo', '-keepalive-interval', '100ms', '-keepalive-timeout', '500ms'], ['-role', 'silent']);
    expectClean(run);
    expect(run.server.events).toContainEqual(expect.objectContaining({ event: 'session-end', reason: 'keepalive-timeout' }));
    expect(run.client.events).toContainEqual(expect.objectContaining({ event: 'peer-closed' }));
  });

  it('-halfclose is refused: smux 1.5.16 has no half-close', async () => {
    const server = await startGoServer('smux', ['-role', 'echo', '-halfclose']).catch((e: Error) => e);
    expect(server).toBeInstanceOf(Error);
    expect((server as Error).message).toMatch(/no half-close/);
  });
});

describe('Go yamux against Go yamux', () => {
  it('echo: 4 streams (ids 1, 3, 5, 7) checked byte for byte, and pings answered', async () => {
    // -halfclose for the reason given at the GoAway test below: a client that closed the session
    // once its bytes were back made the server's last Write report the shutdown (seen once under
    // a full run's load).
    const run = await pair('yamux', ['-role', 'echo'], ['-role', 'echo-check', '-halfclose', '-open', '4', '-bytes', '300K', '-ping', '2']);
    expectClean(run);
    const streams = streamEvents(run.client.events);
    expect(streams.map((e) => e.id).sort()).toEqual([1, 3, 5, 7]);
    for (const e of streams) expect(e).toMatchObject({ ok: true, received: 300 * KiB, sha256_received: goPatternSha256(e.id as number, 300 * KiB) });
    const pings = run.client.events.filter((e) => e.event === 'ping');
    expect(pings).toHaveLength(2);
    for (const p of pings) expect(p.rtt_us).toEqual(expect.any(Number));
  });

  it('half-close: the client sends, FINs, then reads the echo to EOF', async () => {
    const run = await pair('yamux', ['-role', 'echo'], ['-role', 'echo-check', '-halfclose', '-open', '3', '-bytes', '600K']);
    expectClean(run);
    for (const e of streamEvents(run.client.events)) expect(e).toMatchObject({ ok: true, received: 600 * KiB });
  });

  it('streams the server opens (ids 2, 4, 6): source to sink', async () => {
    const run = await pair('yamux', ['-role', 'source', '-open', '3', '-bytes', '200K'], ['-role', 'sink', '-expect', '3']);
    expectClean(run);
    const sinks = streamEvents(run.client.events);
    expect(sinks.map((e) => e.id).sort()).toEqual([2, 4, 6]);
    for (const e of sinks) expect(e.sha256_received).toBe(goPatternSha256(e.id as number, 200 * KiB));
  });

  it('GoAway(0) after the first accept: that stream still completes', async () => {
    // Half-close: the client FINs and reads the echo to EOF, so it closes the session only after
    // the server's last write returned. Without it the client could close as soon as the last
    // bytes arrived, and yamux's Write, which waits for its frame's send result, could report
    // the shutdown for bytes that were sent (seen 3 times in 45 runs under load).
    const run = await pair('yamux', ['-role', 'echo', '-goaway-after', '1'], ['-role', 'echo-check', '-halfclose', '-open', '1', '-bytes', '256K']);
    expectClean(run);
    expect(run.server.events).toContainEqual({ event: 'goaway-sent' });
    expect(streamEvents(run.client.events)).toEqual([expect.objectContaining({ ok: true, received: 256 * KiB })]);
  });

  it('keepalive: a server whose pings wait 300 ms drops a silent client', async () => {
    const run = await pair('yamux', ['-role', 'echo', '-keepalive-interval', '100ms', '-write-timeout', '300ms'], ['-role', 'silent']);
    expectClean(run);
    expect(run.server.events).toContainEqual(expect.objectContaining({ event: 'session-end', reason: 'keepalive-timeout' }));
  });
});

describe('goBench', () => {
  it('measures Go against Go, 1 and 16 streams', async () => {
    for (const streams of [1, 16]) {
      const result = await goBench('smux', streams, 256 * KiB);
      expect(result).toMatchObject({ streams, bytesPerStream: 256 * KiB });
      expect(result.mibPerSecond).toBeGreaterThan(0);
    }
  });
});

describe('the build helper', () => {
  it('says what to apt-get install when Go is missing', async () => {
    await expect(buildGoPeers({ go: '/nonexistent/go' })).rejects.toThrow(/apt-get install golang-go golang-github-xtaci-smux-dev golang-github-hashicorp-yamux-dev/);
  });
});
