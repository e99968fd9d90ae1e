/**
 * The core through the seam: a test-only protocol (toy-protocol.ts) with both sides opening,
 * half-close, byte windows, keepalive and GoAway runs on lib/core unchanged.
 */
import { rechunked } from '../support/rechunked';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { MuxSession } from '../../lib/session';
import { defaultWriteBuffer, type ActorSettings } from '../../lib/core/settings';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { failTest } from '../observers';
import { virtualDelivery } from '../mux/helpers';
import { Toy, ToyReason, encodeToy, toyProtocol } from './toy-protocol';

const settings = (role: 'client' | 'server', extra: Partial<ActorSettings> = {}): ActorSettings => ({
  role,
  maxPayload: 4096,
  maxQueuedPackets: undefined,
  maxQueuedDatagrams: 64,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxStreams: 64,
  ...extra,
});

async function toyPair(window?: number, extra: Partial<ActorSettings> = {}) {
  const [a, b] = memoryTransportPair();
  const [client, server] = await Promise.all([
    MuxSession.start(rechunked(a), toyProtocol('client', window), settings('client', extra)),
    MuxSession.start(rechunked(b), toyProtocol('server', window), settings('server', extra)),
  ]);
  return { client, server, a, b };
}

const sha = (chunks: readonly Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
};
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const readAll = (stream: MuxStream): Promise<Uint8Array[]> => lastValueFrom(stream.data$.pipe(toArray()));

/** Serves every stream the peer opens: reads it to its end (FIN), then answers and ends. */
function answerAfterEnd(session: MuxSession, answer: (request: Uint8Array[]) => Uint8Array): void {
  session.streams$.subscribe({
    next: (stream) => {
      void readAll(stream).then(async (request) => {
        await stream.write(answer(request));
        stream.end();
      }, failTest);
    },
    error: failTest,
  });
}

describe('a second protocol on the core (test-only toy protocol)', () => {
  it('both sides open streams, with ids of their own parity, and data arrives intact through re-chunking', async () => {
    const { client, server } = await toyPair();
    answerAfterEnd(client, (req) => Uint8Array.of(req.reduce((n, c) => n + c.length, 0) & 0xff));
    answerAfterEnd(server, (req) => new TextEncoder().encode(sha(req)));
    const payload = bytes(200_000, 7);
    const fromClient = client.open();
    const fromServer = server.open();
    expect(fromClient.id % 2).toBe(1);
    expect(fromServer.id % 2).toBe(0);
    const reply = readAll(fromClient);
    await fromClient.write(payload);
    fromClient.end();
    expect(new TextDecoder().decode(Buffer.concat(await reply))).toBe(sha([payload]));
    const reply2 = readAll(fromServer);
    await fromServer.write(bytes(300, 1));
    fromServer.end();
    expect([...Buffer.concat(await reply2)]).toEqual([300 & 0xff]);
    await client.close();
    await server.close();
  });

  it('half-close through toDuplex: pipe Readable.from([...]) in, read the whole reply', async () => {
    const { client, server } = await toyPair();
    answerAfterEnd(server, (req) => new TextEncoder().encode(Buffer.concat(req).toString('utf8').toUpperCase()));
    const duplex = client.open().toDuplex();
    Readable.from([Buffer.from('hello '), Buffer.from('half-open '), Buffer.from('world')]).pipe(duplex);
    const chunks: Buffer[] = [];
    for await (const chunk of duplex) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('HELLO HALF-OPEN WORLD');
    await client.close();
    await server.close();
  });

  it('a slow reader holds its sender to the window; the others flow', async () => {
    const window = 8192;
    const { client, server } = await toyPair(window);
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const slow = client.open();
    const fast = client.open();
    await slow.write(new Uint8Array(1)); // the OPEN and a byte, so the server has the stream
    await fast.write(new Uint8Array(1));
    await until(() => incoming.length === 2);
    const [slowRemote, fastRemote] = incoming;
    slowRemote.pause();
    const fastDone = readAll(fastRemote);
    let accepted = 0;
    const writes = Array.from({ length: 128 }, () => slow.write(new Uint8Array(1024)).then(() => accepted++));
    await fast.write(bytes(100_000, 3));
    fast.end();
    expect(Buffer.concat(await fastDone).length).toBe(100_001);
    // The slow stream's sender got no further than its window and its write buffer (64 KiB
    // that resolved early): 72 KiB of 128 KiB; the rest waits.
    expect(accepted * 1024).toBeLessThanOrEqual(window + defaultWriteBuffer(4096));
    expect(accepted).toBeLessThan(128);
    expect(slow.credit).toBe(0);
    const slowDone = readAll(slowRemote);
    slowRemote.resume();
    await Promise.all(writes);
    slow.end();
    expect(Buffer.concat(await slowDone).length).toBe(1 + 128 * 1024);
    // The server never ended its side of the two streams: close without draining.
    await client.close({ drainMs: 0 });
    await server.close({ drainMs: 0 });
  });

  it('a peer that sends past the window is cut with RST(overrun) and a typed error; other streams go on', async () => {
    const [a, b] = memoryTransportPair();
    const server = await MuxSession.start(b, toyProtocol('server', 1024), settings('server'));
    const errors: string[] = [];
    server.errors$.subscribe({ next: (e) => errors.push(e.code), error: failTest });
    const received: Uint8Array[] = [];
    a.messages$.subscribe({ next: (m) => received.push(m as Uint8Array), error: failTest });
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    a.send(encodeToy(Toy.Open, 1));
    a.send(encodeToy(Toy.Open, 3));
    await until(() => incoming.length === 2);
    incoming[0].pause();
    a.send(encodeToy(Toy.Data, 1, new Uint8Array(1024)));
    a.send(encodeToy(Toy.Data, 1, new Uint8Array(1))); // one byte too many
    a.send(encodeToy(Toy.Data, 3, Uint8Array.of(42)));
    const other = firstValueFrom(incoming[1].data$);
    expect([...(await other)]).toEqual([42]);
    await until(() => incoming[0].closed);
    expect(incoming[0].closeReason).toBe(ToyReason.Overrun);
    expect(errors).toEqual(['Throttled']);
    expect(received.some((m) => m[0] === Toy.Rst && m[1] === 1 && m[7] === ToyReason.Overrun)).toBe(true);
    await server.close({ drainMs: 0 });
  });

  it('the last reader leaving tears the stream down (RST), and the connection goes on', async () => {
    const { client, server } = await toyPair();
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = client.open();
    await stream.write(Uint8Array.of(1));
    await until(() => incoming.length === 1);
    void incoming[0].write(Uint8Array.of(9, 9));
    expect([...(await firstValueFrom(stream.data$))]).toEqual([9, 9]);
    expect(stream.closed).toBe(true);
    expect(await firstValueFrom(incoming[0].closed$)).toBe(ToyReason.Normal);
    const next = client.open();
    await next.write(Uint8Array.of(5));
    await until(() => incoming.length === 2);
    expect([...(await firstValueFrom(incoming[1].data$))]).toEqual([5]);
    await client.close();
    await server.close();
  });

  it('close() drains: GoAway first, new streams refused, the open one finishes, then BYE', async () => {
    const { client, server } = await toyPair();
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = client.open();
    await stream.write(Uint8Array.of(1));
    await until(() => incoming.length === 1);
    const closing = server.close({ drainMs: 10_000 });
    await until(() => {
      try {
        client.open().abort();
        return false;
      } catch (error) {
        return (error as { code?: string }).code === 'MuxClosed';
      }
    });
    const reply = readAll(stream);
    await incoming[0].write(Uint8Array.of(2));
    incoming[0].end();
    stream.end();
    expect([...Buffer.concat(await reply)]).toEqual([2]);
    await closing;
    expect(await firstValueFrom(client.closed$)).toEqual({ reason: ToyReason.Normal });
  });
});

describe('keepalive in virtual time', () => {
  it('a silent peer is cut after the timeout; one that answers pings is not', async () => {
    // Timers and memory-pair deliveries share one virtual clock: after each advance every ping
    // and pong has crossed (no delivery is left), however many turns that took.
    const time = virtualDelivery();
    const scheduler = time.scheduler;
    const keepalive = { intervalMs: 1000, timeoutMs: 3000 };
    // Silent: nobody on the other end of the memory pair reads or answers.
    const [a] = memoryTransportPair({ scheduler });
    const silent = await time.drive(MuxSession.start(a, toyProtocol('client'), settings('client', { keepalive, scheduler })));
    // Alive: a toy server that answers pings.
    const [c, d] = memoryTransportPair({ scheduler });
    const alive = await time.drive(MuxSession.start(c, toyProtocol('client'), settings('client', { keepalive, scheduler })));
    const peer = await time.drive(MuxSession.start(d, toyProtocol('server'), settings('server')));
    let silentEnd: unknown;
    silent.closed$.subscribe({ next: (end) => (silentEnd = end), error: failTest });
    for (let t = 0; t < 2; t++) await time.advance(1000);
    expect(silentEnd).toBeUndefined();
    await time.advance(1000);
    expect(silentEnd).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
    for (let t = 0; t < 10; t++) await time.advance(1000);
    expect(alive.debugState().ended).toBe(false);
    alive.abort();
    await time.drive(peer.close({ drainMs: 0 }));
  });
});

/** Waits for `condition` with a deadline, checking after each turn of the event loop. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
