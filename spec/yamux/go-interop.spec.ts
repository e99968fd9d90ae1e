/**
 * wisp-rx's yamux (version 0) against Go's hashicorp/yamux (Debian's, through interop/go's
 * yamux-peer), over TCP on 127.0.0.1, both directions: streams opened by either side with
 * SHA-256 checks, window backpressure both ways, ping, keepalive against a silent peer,
 * GoAway both ways.
 */
import { firstValueFrom, tap } from 'rxjs';
import type { Transport } from '../../lib/transport/transport';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { decodeHeader, yamuxLayout } from '../../lib/yamux/frame';
import { connectTcp, duplexTransport } from '../../lib/transport/duplex-transport';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxSession } from '../../lib/yamux/session';
import type { YamuxConfig } from '../../lib/yamux/config';
import { defaultWriteBuffer } from '../../lib/core/settings';
import { buildGoPeers, goPattern, goPatternSha256, startGoClient, startGoServer, streamEvents, type GoPeer } from '../support/go';
import { failTest } from '../observers';
import { settled, within } from '../support/within';
import { describeFrame, echo, readAll, sha, total, until } from './helpers';
import * as net from 'node:net';

const started: GoPeer[] = [];
const sessions: YamuxSession[] = [];
const servers: net.Server[] = [];
beforeAll(() => buildGoPeers(), 180_000);
afterEach(async () => {
  for (const s of sessions.splice(0)) s.abort();
  for (const s of servers.splice(0)) s.close();
  await Promise.all(started.splice(0).map((peer) => peer.kill()));
});

async function clientTo(args: readonly string[], config: YamuxConfig = {}): Promise<{ go: GoPeer; session: YamuxSession }> {
  const go = await startGoServer('yamux', args);
  started.push(go);
  const session = await YamuxSession.client(await connectTcp(go.host, go.port), config);
  sessions.push(session);
  return { go, session };
}

/** A wisp-rx server on 127.0.0.1 and a Go client connected to it with `args`. */
async function serverFor(args: readonly string[], config: YamuxConfig = {}, onFrame?: (frame: string) => void): Promise<{ go: GoPeer; session: YamuxSession }> {
  const listener = net.createServer();
  servers.push(listener);
  const accepted = new Promise<YamuxSession>((resolve, reject) =>
    listener.once('connection', (socket) => {
      const transport = duplexTransport(socket);
      void YamuxSession.server(onFrame ? watched(transport, onFrame) : transport, config).then(resolve, reject);
    }),
  );
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const go = await startGoClient('yamux', `127.0.0.1:${port}`, args);
  started.push(go);
  const session = await within(accepted, 10_000, 'the Go client connecting');
  sessions.push(session);
  return { go, session };
}

/** The transport with every inbound frame also described to `onFrame` (`Type FLAGS id length`). */
function watched(transport: Transport, onFrame: (frame: string) => void): Transport {
  const splitter = new FrameSplitter(yamuxLayout(16 * 1024 * 1024), (head) => onFrame(describeFrame(decodeHeader(head))));
  const messages$ = transport.messages$.pipe(tap((m) => splitter.push(m as Uint8Array)));
  return {
    messages$,
    closed$: transport.closed$,
    drain$: transport.drain$,
    get writable() {
      return transport.writable;
    },
    send: (message) => transport.send(message),
    pause: () => transport.pause(),
    resume: () => transport.resume(),
    close: (code, reason) => transport.close(code, reason),
    protocol: transport.protocol,
    framing: 'bytes',
  };
}

describe('wisp-rx client → Go yamux server', () => {
  it.each([
    [1, 4 * 1024 * 1024],
    [16, 512 * 1024],
    [256, 32 * 1024],
  ])('%i stream(s) echoed by Go, SHA-256 both ways', async (count, size) => {
    const { go, session } = await clientTo(['-role', 'echo']);
    const streams = await Promise.all(Array.from({ length: count }, () => session.open()));
    const ok = await within(
      Promise.all(
        streams.map(async (stream) => {
          const payload = goPattern(stream.id, size);
          const reply = readAll(stream);
          await stream.write(payload);
          stream.end();
          return sha(await reply) === sha([payload]);
        }),
      ),
      40_000,
      'the echoes',
    );
    expect(ok.every(Boolean)).toBe(true);
    await session.close();
    const exit = await within(go.exited, 10_000, 'Go exiting');
    const events = streamEvents(exit.events);
    expect(events).toHaveLength(count);
    expect(events.every((e) => e.ok === true && e.received === size && e.sha256_received === goPatternSha256(e.id as number, size))).toBe(true);
    expect(exit.code).toBe(0);
  }, 60_000);

  it('streams opened by the Go server: its sources arrive whole (SHA-256 of the Go pattern)', async () => {
    const { go, session } = await clientTo(['-role', 'source', '-open', '16', '-bytes', '1MiB', '-end', 'self']);
    const results: Promise<boolean>[] = [];
    session.streams$.subscribe({
      next: (stream) => {
        results.push(readAll(stream).then((chunks) => {
          stream.end();
          return total(chunks) === 1024 * 1024 && sha(chunks) === goPatternSha256(stream.id, 1024 * 1024);
        }));
      },
      error: failTest,
    });
    await until(() => results.length === 16, 10_000, '16 streams from Go');
    expect((await within(Promise.all(results), 20_000, 'sources')).every(Boolean)).toBe(true);
    expect(results.length).toBe(16);
    const exit = await within(go.exited, 15_000, 'Go exiting');
    expect(streamEvents(exit.events).map((e) => e.id as number % 2)).toEqual(Array(16).fill(0));
    expect(exit.code).toBe(0);
  }, 40_000);

  it('a Go reader that does not accept yet holds our writer to its 256 KiB window; then all of it arrives', async () => {
    const { go, session } = await clientTo(['-role', 'sink', '-accept-delay', '1500ms', '-expect', '1', '-end', 'self']);
    const stream = await session.open();
    let accepted = 0;
    const size = 4 * 1024 * 1024;
    const payload = goPattern(stream.id, size);
    const writing = (async () => {
      for (let at = 0; at < size; at += 16 * 1024) {
        await stream.write(payload.subarray(at, at + 16 * 1024));
        accepted += 16 * 1024;
      }
      stream.end();
    })();
    await until(() => stream.credit === 0, 5000, 'the window to fill');
    // The window, and the write buffer (256 KiB with 64 KiB frames) of writes that resolved early.
    const buffer = defaultWriteBuffer(64 * 1024);
    expect(accepted).toBeLessThanOrEqual(256 * 1024 + buffer);
    expect(session.debugState().streams[0].pendingWrites).toBeLessThanOrEqual(buffer / (16 * 1024) + 1);
    await within(writing, 20_000, 'the writes after Go accepted');
    const exit = await within(go.exited, 20_000, 'Go exiting');
    expect(streamEvents(exit.events)).toEqual([expect.objectContaining({ ok: true, received: size, sha256_received: goPatternSha256(stream.id, size) })]);
  }, 40_000);

  it('Go’s MaxStreamWindowSize of 1 MiB: its SYN grants our sender 1 MiB at once', async () => {
    const { go, session } = await clientTo(['-max-window', '1048576', '-open', '1', '-role', 'sink', '-end', 'self']);
    const stream = await within(firstValueFrom(session.streams$), 10_000, 'Go’s stream');
    expect(stream.credit).toBe(1024 * 1024);
    const size = 2 * 1024 * 1024;
    await stream.write(goPattern(stream.id, size));
    stream.end();
    const exit = await within(go.exited, 10_000, 'Go exiting');
    expect(streamEvents(exit.events)).toEqual([expect.objectContaining({ ok: true, received: size, sha256_received: goPatternSha256(stream.id, size) })]);
  }, 30_000);

  it('our window of 1 MiB: the ACK grants Go the extra, and Go sends up to 1 MiB to a reader that waits', async () => {
    const { go, session } = await clientTo(['-open', '1', '-role', 'source', '-bytes', '4MiB', '-end', 'self'], { window: 1024 * 1024 });
    const stream = await within(firstValueFrom(session.streams$), 10_000, 'Go’s stream');
    stream.pause();
    const reading = readAll(stream);
    await until(() => session.debugState().queuedBytes === 1024 * 1024, 10_000, '1 MiB queued');
    stream.resume();
    expect(sha(await within(reading, 10_000, 'the rest'))).toBe(goPatternSha256(stream.id, 4 * 1024 * 1024));
    stream.end();
    expect((await within(go.exited, 10_000, 'Go exiting')).code).toBe(0);
  }, 30_000);

  it('ping() against Go returns an RTT; GoAway from Go stops our opens, the open stream carries on', async () => {
    const { go, session } = await clientTo(['-role', 'echo', '-goaway-after', '1']);
    expect(await within(session.ping(), 5000, 'ping')).toBeGreaterThanOrEqual(0);
    const stream = await session.open();
    const reply = readAll(stream);
    await stream.write(Uint8Array.of(1, 2, 3));
    await within(go.waitFor('goaway-sent'), 5000, 'Go’s GoAway');
    const refused = async (): Promise<unknown> => {
      for (;;) {
        const attempt = await settled(session.open());
        if ('error' in attempt) return attempt.error;
        attempt.value.abort();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    expect(await within(refused(), 5000, 'opens refused')).toMatchObject({ code: 'MuxClosed' });
    await stream.write(Uint8Array.of(4));
    stream.end();
    expect(total(await within(reply, 5000, 'echo after GoAway'))).toBe(4);
    await session.close();
    expect((await within(go.exited, 10_000, 'Go exiting')).code).toBe(0);
  });

  it('keepalive against a silent peer: the session ends with KeepaliveTimeout within interval + timeout', async () => {
    const { session } = await clientTo(['-role', 'silent'], { keepalive: { intervalMs: 200, timeoutMs: 1000 } });
    const start = Date.now();
    const end = await within(firstValueFrom(session.closed$), 5000, 'keepalive end');
    expect(end).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
    expect(Date.now() - start).toBeLessThan(1200 + 500);
  });
});

describe('Go yamux client → wisp-rx server', () => {
  it.each([
    [1, '4MiB'],
    [16, '512KiB'],
    [256, '32KiB'],
  ])('%i stream(s): Go checks our echo byte for byte', async (count, size) => {
    const { go, session } = await serverFor(['-role', 'echo-check', '-open', String(count), '-bytes', size, '-ping', '2']);
    echo(session);
    const exit = await within(go.exited, 40_000, 'Go exiting');
    const events = streamEvents(exit.events);
    expect(events).toHaveLength(count);
    expect(events.every((e) => e.ok === true && e.sha256_sent === e.sha256_received)).toBe(true);
    expect(exit.events.filter((e) => e.event === 'ping').every((e) => typeof e.rtt_us === 'number')).toBe(true);
    expect(exit.code).toBe(0);
  }, 60_000);

  it('streams opened by our server: a Go client sinks them and checks SHA-256', async () => {
    const { go, session } = await serverFor(['-expect', '4', '-accept-role', 'sink', '-end', 'self']);
    const size = 512 * 1024;
    const streams = await Promise.all(Array.from({ length: 4 }, () => session.open()));
    expect(streams.map((s) => s.id)).toEqual([2, 4, 6, 8]);
    await Promise.all(
      streams.map(async (stream) => {
        const done = readAll(stream);
        await stream.write(goPattern(stream.id, size));
        stream.end();
        await done;
      }),
    );
    const exit = await within(go.exited, 15_000, 'Go exiting');
    const events = streamEvents(exit.events);
    expect(events.map((e) => e.id).sort()).toEqual([2, 4, 6, 8]);
    expect(events.every((e) => e.ok === true && e.sha256_received === goPatternSha256(e.id as number, size))).toBe(true);
    expect(exit.code).toBe(0);
  }, 30_000);

  it('our slow reader holds Go’s writer to the window: we never hold more than 256 KiB of it', async () => {
    const { go, session } = await serverFor(['-role', 'source', '-open', '1', '-bytes', '4MiB']);
    const stream = await within(firstValueFrom(session.streams$), 10_000, 'the stream');
    stream.pause();
    const reading = readAll(stream);
    await until(() => session.debugState().queuedBytes === 256 * 1024, 10_000, 'a full window queued');
    await session.ping(); // a barrier: Go's reply comes after anything Go wrote before it
    expect(session.debugState().queuedBytes).toBe(256 * 1024);
    stream.resume();
    const chunks = await within(reading, 20_000, 'the rest');
    expect(sha(chunks)).toBe(goPatternSha256(stream.id, 4 * 1024 * 1024));
    stream.end();
    expect((await within(go.exited, 10_000, 'Go exiting')).code).toBe(0);
  }, 40_000);

  it('Go’s keepalive against us: every Ping{SYN} is answered, and Go’s session stays up', async () => {
    const { go, session } = await serverFor(['-role', 'sink', '-open', '1', '-keepalive-interval', '50ms', '-write-timeout', '500ms'], {}, (frame) => {
      if (frame.startsWith('Ping SYN')) pings++;
    });
    let pings = 0;
    const stream = await within(firstValueFrom(session.streams$), 10_000, 'the stream');
    await until(() => pings >= 5, 10_000, 'five keepalive pings from Go');
    await stream.write(Uint8Array.of(1, 2, 3));
    stream.end();
    const exit = await within(go.exited, 10_000, 'Go exiting');
    expect(exit.events.filter((e) => e.event === 'session-end').map((e) => e.reason)).not.toContain('keepalive-timeout');
    expect(streamEvents(exit.events)).toEqual([expect.objectContaining({ ok: true, received: 3 })]);
    expect(exit.code).toBe(0);
  }, 30_000);

  it('our close() sends GoAway and drains: the established stream finishes, then the session ends', async () => {
    const { go, session } = await serverFor(['-role', 'echo-check', '-open', '1', '-bytes', '64KiB', '-accept-delay', '0s']);
    const incoming: MuxStream[] = [];
    session.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    await until(() => incoming.length === 1, 10_000, 'the stream');
    const closing = session.close({ drainMs: 10_000 });
    // Echo it only now, during the drain.
    const stream = incoming[0];
    stream.data$.subscribe({ next: (c) => void stream.write(c).catch(() => undefined), error: () => undefined, complete: () => stream.end() });
    await within(closing, 10_000, 'the drained close');
    const exit = await within(go.exited, 10_000, 'Go exiting');
    expect(streamEvents(exit.events)).toEqual([expect.objectContaining({ ok: true })]);
  }, 30_000);
});
