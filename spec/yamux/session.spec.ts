/**
 * yamux (version 0) and net-mux (version 1) sessions, wisp-rx against wisp-rx: over memory
 * pairs (every message re-cut at random) and over real TCP on 127.0.0.1.
 */
import { Readable } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxReason } from '../../lib/yamux/config';
import { failTest } from '../observers';
import { defaultWriteBuffer } from '../../lib/core/settings';
import { within } from '../support/within';
import { bytes, echo, memoryPair, readAll, sha, tcpPair, total, until, type Pair } from './helpers';

const versions = [0, 1] as const;
const open: Pair[] = [];
afterEach(() => {
  for (const { client, server } of open.splice(0)) {
    client.abort();
    server.abort();
  }
});
const track = <T extends Pair>(pair: T): T => {
  open.push(pair);
  return pair;
};

describe.each(versions)('yamux version %i, wisp-rx ↔ wisp-rx', (version) => {
  it('both sides open streams with ids of their own parity; data arrives intact through re-chunking', async () => {
    const { client, server } = track(await memoryPair({ version }));
    echo(server);
    echo(client);
    const payload = bytes(700_000, version);
    const fromClient = await client.open();
    const fromServer = await server.open();
    expect(fromClient.id % 2).toBe(1);
    expect(fromServer.id % 2).toBe(0);
    const replies = [readAll(fromClient), readAll(fromServer)];
    await Promise.all([fromClient.write(payload), fromServer.write(payload)]);
    fromClient.end();
    fromServer.end();
    const [a, b] = await within(Promise.all(replies), 10_000, 'echoes');
    expect(sha(a)).toBe(sha([payload]));
    expect(sha(b)).toBe(sha([payload]));
    await until(() => client.streamCount === 0 && server.streamCount === 0, 5000, 'streams removed after FIN both ways');
  });

  it('16 streams of 1 MiB each echo over real TCP (duplexTransport), SHA-256 checked', async () => {
    const { client, server } = track(await tcpPair({ version }));
    echo(server);
    const streams = await Promise.all(Array.from({ length: 16 }, () => client.open()));
    const results = await within(
      Promise.all(
        streams.map(async (stream, i) => {
          const payload = bytes(1024 * 1024, i);
          const reply = readAll(stream);
          await stream.write(payload);
          stream.end();
          return sha(await reply) === sha([payload]);
        }),
      ),
      20_000,
      'tcp echoes',
    );
    expect(results).toEqual(Array(16).fill(true));
    await client.close();
    await within(firstValueFrom(server.closed$), 5000, 'server end');
  });

  it('half-close through toDuplex: pipe Readable.from([...]) in, read the whole reply', async () => {
    const { client, server } = track(await memoryPair({ version }));
    server.streams$.subscribe({
      next: (stream) => void readAll(stream).then(async (req) => {
        await stream.write(new TextEncoder().encode(Buffer.concat(req).toString().toUpperCase()));
        stream.end();
      }, failTest),
      error: failTest,
    });
    const duplex = (await client.open()).toDuplex();
    Readable.from([Buffer.from('hello '), Buffer.from('half-open '), Buffer.from('world')]).pipe(duplex);
    const chunks: Buffer[] = [];
    for await (const chunk of duplex) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('HELLO HALF-OPEN WORLD');
  });

  it('abort() sends RST: the peer’s data$ errors with a typed error (reason Reset), other streams go on', async () => {
    const { client, server } = track(await memoryPair({ version }));
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const doomed = await client.open();
    const other = await client.open();
    await doomed.write(Uint8Array.of(1));
    await other.write(Uint8Array.of(2));
    await until(() => incoming.length === 2);
    const failed = readAll(incoming[0]).then(
      () => undefined,
      (error: unknown) => error,
    );
    doomed.abort();
    expect(await within(failed, 5000, 'data$ error')).toMatchObject({ code: 'StreamClosed', reason: YamuxReason.Reset });
    expect(incoming[0].closeReason).toBe(YamuxReason.Reset);
    const reply = readAll(incoming[1]);
    other.end();
    expect(total(await reply)).toBe(1);
  });

  it('a slow reader holds its sender to the window (both ways); the others flow', async () => {
    const window = 256 * 1024;
    const { client, server } = track(await memoryPair({ version, window }));
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const slow = await client.open();
    const fast = await client.open();
    await slow.write(new Uint8Array(1));
    await fast.write(new Uint8Array(1));
    await until(() => incoming.length === 2);
    const [slowRemote, fastRemote] = incoming;
    slowRemote.pause();
    const fastDone = readAll(fastRemote);
    let accepted = 0;
    const writes = Array.from({ length: 64 }, () => slow.write(new Uint8Array(16 * 1024)).then(() => accepted++));
    await fast.write(bytes(3 * 1024 * 1024, 3));
    fast.end();
    expect(total(await within(fastDone, 10_000, 'fast stream'))).toBe(3 * 1024 * 1024 + 1);
    await until(() => slow.credit === 0, 5000, 'slow stream out of credit');
    // The window, and the write buffer's writes that resolved early (256 KiB with 64 KiB frames).
    expect(accepted * 16 * 1024).toBeLessThanOrEqual(window + defaultWriteBuffer(64 * 1024));
    expect(accepted).toBeLessThan(64);
    // The receiver holds no more than it granted.
    expect(server.debugState().queuedBytes).toBeLessThanOrEqual(window);
    const slowDone = readAll(slowRemote);
    slowRemote.resume();
    await within(Promise.all(writes), 10_000, 'slow writes');
    slow.end();
    expect(total(await slowDone)).toBe(1 + 64 * 16 * 1024);
  });

  it('memory per session stays bounded by max streams × window when nobody reads', async () => {
    const window = version === 0 ? 256 * 1024 : 64 * 1024;
    const maxStreams = 4;
    const { client, server } = track(await memoryPair({ version, window, maxStreams }));
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({
      next: (s) => {
        s.pause();
        incoming.push(s);
      },
      error: failTest,
    });
    const streams = await Promise.all(Array.from({ length: maxStreams }, () => client.open()));
    const writes = streams.map((s) => s.write(new Uint8Array(4 * window)).catch(() => undefined));
    await until(() => streams.every((s) => s.credit === 0), 5000, 'every stream out of credit');
    await client.ping(); // a barrier: the reply comes after everything sent before it was handled
    expect(server.debugState().queuedBytes).toBe(maxStreams * window);
    expect(server.debugState().queuedBytes).toBeLessThanOrEqual(maxStreams * window);
    // A stream beyond the limit is refused with RST (version 1: the open itself fails).
    const refused = client.open().then(
      (extra) => readAll(extra).then(() => 'completed', (error: { reason?: number }) => error.reason),
      (error: { reason?: number }) => error.reason,
    );
    expect(await within(refused, 5000, 'refusal')).toBe(YamuxReason.Reset);
    const reads = incoming.map((s) => readAll(s));
    for (const s of incoming) s.resume();
    await within(Promise.all(writes), 10_000, 'writes after resume');
    for (const s of streams) s.end();
    expect((await within(Promise.all(reads), 10_000, 'reads')).map(total)).toEqual(Array(maxStreams).fill(4 * window));
  });

  it('an in-place write puts the header in the spare bytes in front of the payload (no copy)', async () => {
    const { client, server } = track(await memoryPair({ version }));
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = await client.open();
    const buffer = new Uint8Array(12 + 1000);
    const payload = buffer.subarray(12);
    payload.set(bytes(1000, 5));
    const sent = new Promise<void>((resolve, reject) => stream.send(payload, (error) => (error ? reject(error) : resolve()), true));
    await sent;
    // The header went into the spare bytes: version, Data, no flags, the stream id, length 1000.
    expect([...buffer.subarray(0, 12)]).toEqual([version, 0, 0, 0, 0, 0, 0, stream.id, 0, 0, 0x03, 0xe8]);
    stream.end();
    await until(() => incoming.length === 1);
    expect(sha(await readAll(incoming[0]))).toBe(sha([bytes(1000, 5)]));
  });

  it('ping() resolves with a round-trip time and rtt$ emits it', async () => {
    const { client, server } = track(await memoryPair({ version }));
    const seen: number[] = [];
    client.rtt$.subscribe({ next: (rtt) => seen.push(rtt), error: failTest });
    const rtt = await within(client.ping(), 5000, 'ping');
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual([rtt]);
    expect(await within(server.ping(), 5000, 'server ping')).toBeGreaterThanOrEqual(0);
  });
});
