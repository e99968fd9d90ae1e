/**
 * wisp-rx's SmuxSession against Go's xtaci/smux (Debian 1.5.16, interop/go smux-peer), both
 * directions, v1 and v2: streams either side opens, 1/16/256 streams with SHA-256, keepalive
 * both ways. Echo exchanges FIN only after the whole echo is back (Go 1.5.16 cuts a v2 reply
 * after the peer's FIN once it has to wait for window: notes §6).
 */
import * as net from 'node:net';
import { firstValueFrom, tap } from 'rxjs';
import { SmuxSession } from '../../lib/smux/session';
import type { SmuxConfig } from '../../lib/smux/config';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { connectTcp, duplexTransport } from '../../lib/transport/duplex-transport';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { buildGoPeers, goPattern, goPatternSha256, startGoClient, startGoServer, streamEvents, type GoPeer, type GoPeerExit } from '../support/go';
import { failTest } from '../observers';
import { bytes, echo, readAll, sha, until } from './helpers';

const started: GoPeer[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(started.splice(0).map((peer) => peer.kill()));
});
beforeAll(async () => {
  await buildGoPeers();
}, 180_000);

const KiB = 1024;
const log = (exit: GoPeerExit): string => `code ${exit.code}\n${exit.events.map((e) => JSON.stringify(e)).join('\n')}\n${exit.stderr}`;
const expectClean = (exit: GoPeerExit): void => expect({ code: exit.code, log: log(exit) }).toMatchObject({ code: 0 });

/** A listener on 127.0.0.1 whose first connection becomes a wisp-rx server session. */
async function wispServer(config: SmuxConfig): Promise<{ addr: string; session: Promise<SmuxSession> }> {
  const listener = net.createServer();
  closers.push(() => listener.close());
  const session = new Promise<SmuxSession>((resolve, reject) => {
    listener.once('connection', (socket) => void SmuxSession.server(duplexTransport(socket), config).then(resolve, reject));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(listener.address() as net.AddressInfo).port}`, session };
}

/** Writes `payload` while reading the echo; FIN once all of it is back; resolves with the echo's hash. */
async function echoExchange(stream: MuxStream, payload: Uint8Array): Promise<string> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  const allBack = new Promise<void>((resolve, reject) => {
    stream.data$.subscribe({
      next: (chunk) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received === payload.length) resolve();
      },
      error: reject,
      complete: () => (received === payload.length ? resolve() : reject(new Error(`stream ${stream.id}: echo ended at ${received} bytes`))),
    });
  });
  await stream.write(payload);
  await allBack;
  stream.end();
  await firstValueFrom(stream.closed$);
  return sha(chunks);
}

/** Counts the NOP frames coming in on a transport (a frame-aligned peek: smux headers are 8 bytes). */
function countingNops(transport: Transport): { transport: Transport; nops: () => number } {
  let nops = 0;
  let carry = new Uint8Array(0);
  const peek = (message: TransportMessage): void => {
    const chunk = message instanceof Uint8Array ? message : Buffer.concat([message.head, message.body]);
    const all = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let at = 0;
    while (at + 8 <= all.length) {
      const length = all[at + 2] | (all[at + 3] << 8);
      if (at + 8 + length > all.length) break;
      if (all[at + 1] === 3) nops++;
      at += 8 + length;
    }
    carry = all.slice(at);
  };
  const wrapped: Transport = {
    messages$: transport.messages$.pipe(tap(peek)),
    closed$: transport.closed$,
    drain$: transport.drain$,
    get writable() {
      return transport.writable;
    },
    send: (m) => transport.send(m),
    sendSplit: transport.sendSplit ? (h, b) => transport.sendSplit!(h, b) : undefined,
    pause: () => transport.pause(),
    resume: () => transport.resume(),
    close: (code, reason) => transport.close(code, reason),
    protocol: transport.protocol,
    framing: transport.framing,
  };
  return { transport: wrapped, nops: () => nops };
}

const loads = [
  [1, 4096 * KiB],
  [16, 1024 * KiB],
  [256, 64 * KiB],
] as const;

describe.each([1, 2] as const)('smux v%i: wisp-rx client ↔ Go server', (version) => {
  const v = ['-version', String(version)];

  it.each(loads)('%i streams echoed by Go, SHA-256 on both ends', async (count, size) => {
    const server = await startGoServer('smux', [...v, '-role', 'echo']);
    started.push(server);
    const session = await SmuxSession.client(await connectTcp('127.0.0.1', server.port), { version });
    const sent: string[] = [];
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const payload = bytes(size, i);
        sent.push(sha([payload]));
        return echoExchange(session.open(), payload);
      }),
    );
    expect(results).toEqual(sent);
    await session.close();
    const exit = await server.exited;
    expectClean(exit);
    expect(streamEvents(exit.events).map((e) => e.sha256_received).sort()).toEqual([...sent].sort());
  }, 60_000);

  if (version === 1) {
    it('v1 half-close: FIN right after the request, the whole echo still arrives (Go 1.5.16 writes after a FIN in v1)', async () => {
      const server = await startGoServer('smux', [...v, '-role', 'echo']);
      started.push(server);
      const session = await SmuxSession.client(await connectTcp('127.0.0.1', server.port), { version });
      const payloads = Array.from({ length: 4 }, (_, i) => bytes(2048 * KiB, i));
      const echoes = await Promise.all(
        payloads.map(async (payload) => {
          const stream = session.open();
          const back = readAll(stream);
          await stream.write(payload);
          stream.end();
          return sha(await back);
        }),
      );
      expect(echoes).toEqual(payloads.map((p) => sha([p])));
      await session.close();
      expectClean(await server.exited);
    });
  }

  it('streams the Go server opens (ids 2, 4, 6): Go sources, wisp-rx reads to FIN', async () => {
    const server = await startGoServer('smux', [...v, '-role', 'source', '-open', '3', '-bytes', '300K']);
    started.push(server);
    const session = await SmuxSession.client(await connectTcp('127.0.0.1', server.port), { version });
    const got = new Map<number, string>();
    await new Promise<void>((resolve) => {
      session.streams$.subscribe({
        next: (stream) =>
          void readAll(stream).then((chunks) => {
            got.set(stream.id, sha(chunks));
            stream.end(); // our half too, so close() has nothing to wait for
            if (got.size === 3) resolve();
          }, failTest),
        error: failTest,
      });
    });
    expect([...got.keys()].sort()).toEqual([2, 4, 6]);
    for (const [id, hash] of got) expect(hash).toBe(goPatternSha256(id, 300 * KiB));
    await session.close();
    expectClean(await server.exited);
  });

  it('keepalive: Go drops a wisp-rx client that sends nothing; wisp-rx drops a silent Go peer', async () => {
    const server = await startGoServer('smux', [...v, '-role', 'echo', '-keepalive-interval', '100ms', '-keepalive-timeout', '500ms']);
    started.push(server);
    const quiet = await SmuxSession.client(await connectTcp('127.0.0.1', server.port), { version, keepAliveDisabled: true });
    await server.waitFor((e) => e.event === 'session-end' && e.reason === 'keepalive-timeout', 5000);
    expect(await firstValueFrom(quiet.closed$)).toMatchObject({ error: { code: 'TransportClosed' } });
    const silent = await startGoServer('smux', [...v, '-role', 'silent']);
    started.push(silent);
    const watcher = await SmuxSession.client(await connectTcp('127.0.0.1', silent.port), { version, keepAliveInterval: 100, keepAliveTimeout: 500 });
    expect(await firstValueFrom(watcher.closed$)).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
  });

  it('keepalive: a quiet wisp-rx client sending NOPs stays up past many Go timeouts, and so does Go', async () => {
    const server = await startGoServer('smux', [...v, '-role', 'echo', '-keepalive-interval', '100ms', '-keepalive-timeout', '300ms']);
    started.push(server);
    const counted = countingNops(await connectTcp('127.0.0.1', server.port));
    const session = await SmuxSession.client(counted.transport, { version, keepAliveInterval: 100, keepAliveTimeout: 300 });
    await until(() => counted.nops() >= 15, 10_000); // ≥ 1.5 s of Go's NOPs: five of its timeouts
    expect(server.events.some((e) => e.event === 'session-end')).toBe(false);
    expect(session.debugState().ended).toBe(false);
    expect(await echoExchange(session.open(), bytes(1000, 1))).toBe(sha([bytes(1000, 1)]));
    await session.close();
    expectClean(await server.exited);
  });
});

describe.each([1, 2] as const)('smux v%i: Go client ↔ wisp-rx server', (version) => {
  const v = ['-version', String(version)];

  it.each(loads)('Go checks %i streams echoed by wisp-rx (ids 3, 5, …), byte for byte', async (count, size) => {
    const { addr, session } = await wispServer({ version });
    void session.then(echo, failTest);
    const client = await startGoClient('smux', addr, [...v, '-role', 'echo-check', '-open', String(count), '-bytes', String(size)]);
    started.push(client);
    const exit = await client.exited;
    expectClean(exit);
    const streams = streamEvents(exit.events);
    expect(streams).toHaveLength(count);
    expect(Math.min(...streams.map((e) => e.id as number))).toBe(3);
    for (const e of streams) expect(e).toMatchObject({ ok: true, received: size, sha256_received: goPatternSha256(e.id as number, size) });
    expect(await firstValueFrom((await session).closed$)).toBeDefined();
  }, 60_000);

  it('streams wisp-rx opens (ids 2, 4, 6): wisp-rx sends and FINs, Go sinks check SHA-256', async () => {
    const { addr, session } = await wispServer({ version });
    const client = await startGoClient('smux', addr, [...v, '-role', 'sink', '-expect', '3', '-end', 'self']);
    started.push(client);
    const server = await session;
    const ids: number[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        const stream = server.open();
        ids.push(stream.id);
        await stream.write(goPattern(stream.id, 500 * KiB));
        stream.end();
      }),
    );
    const exit = await client.exited;
    expectClean(exit);
    expect(ids).toEqual([2, 4, 6]);
    for (const e of streamEvents(exit.events)) expect(e).toMatchObject({ ok: true, opened: false, sha256_received: goPatternSha256(e.id as number, 500 * KiB) });
  });

  it('keepalive: the Go client, 100 ms / 500 ms, drops a wisp-rx server that sends nothing', async () => {
    const { addr, session } = await wispServer({ version, keepAliveDisabled: true });
    const client = await startGoClient('smux', addr, [...v, '-role', 'echo-check', '-open', '0', '-expect', '1', '-keepalive-interval', '100ms', '-keepalive-timeout', '500ms', '-linger', '1s']);
    started.push(client);
    await client.waitFor((e) => e.event === 'session-end' && e.reason === 'keepalive-timeout', 5000);
    expect(await firstValueFrom((await session).closed$)).toBeDefined();
  });
});
