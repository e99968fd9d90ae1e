/**
 * SmuxSession, wisp-rx against wisp-rx: over memory pairs (re-chunked) and over loopback TCP,
 * v1 and v2: both sides open, half-close, windows and backpressure, keepalive in virtual time.
 * Bad input from a raw peer is in bad-input.spec.ts.
 */
import { Readable } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { SmuxSession } from '../../lib/smux/session';
import { SmuxReason } from '../../lib/smux/wire';
import { SMUX_GO_DEFAULTS } from '../../lib/smux/defaults';
import { defaultWriteBuffer } from '../../lib/core/settings';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { failTest } from '../observers';
import { answerAfterEnd, bytes, echo, memoryPair, readAll, sha, tcpPair, until, type SessionPair } from './helpers';
import { virtualDelivery } from '../mux/helpers';

const pairs = [
  ['memory', memoryPair],
  ['tcp', tcpPair],
] as const;

describe.each([1, 2] as const)('smux v%i, wisp-rx against wisp-rx', (version) => {
  describe.each(pairs)('over %s', (_name, makePair) => {
    let pair: SessionPair;
    afterEach(async () => {
      pair.client.abort();
      pair.server.abort();
      await pair.dispose();
    });

    it('both sides open, with Go ids (client 3, 5 …, server 2, 4 …), data intact, half-close both ways', async () => {
      pair = await makePair({ version });
      const { client, server } = pair;
      answerAfterEnd(server, (req) => new TextEncoder().encode(sha(req)));
      answerAfterEnd(client, (req) => Uint8Array.of(req.reduce((n, c) => n + c.length, 0) & 0xff));
      const payload = bytes(600_000, 7);
      const up = client.open();
      const down = server.open();
      expect([up.id, client.open().id, down.id, server.open().id]).toEqual([3, 5, 2, 4]);
      const reply = readAll(up);
      await up.write(payload);
      up.end();
      expect(new TextDecoder().decode(Buffer.concat(await reply))).toBe(sha([payload]));
      const reply2 = readAll(down);
      await down.write(bytes(300, 1));
      down.end();
      expect([...Buffer.concat(await reply2)]).toEqual([300 & 0xff]);
      expect(await firstValueFrom(up.closed$)).toBe(SmuxReason.Normal);
    });

    it('16 streams echo 256 KiB each, SHA-256 checked, then a graceful close', async () => {
      pair = await makePair({ version });
      echo(pair.server);
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const stream = pair.client.open();
          const payload = bytes(256 * 1024, i);
          const back = readAll(stream);
          await stream.write(payload);
          stream.end();
          return sha(await back) === sha([payload]);
        }),
      );
      expect(results.every(Boolean)).toBe(true);
      await until(() => pair.client.streamCount === 0 && pair.server.streamCount === 0);
      await Promise.all([pair.client.close(), pair.server.close()]);
      expect(await firstValueFrom(pair.client.closed$)).toMatchObject({ reason: SmuxReason.Normal });
    });

    it('toDuplex: pipe in, FIN, read the whole reply', async () => {
      pair = await makePair({ version });
      answerAfterEnd(pair.server, (req) => new TextEncoder().encode(Buffer.concat(req).toString('utf8').toUpperCase()));
      const duplex = pair.client.open().toDuplex();
      Readable.from([Buffer.from('hello '), Buffer.from('half-open '), Buffer.from('world')]).pipe(duplex);
      const chunks: Buffer[] = [];
      for await (const chunk of duplex) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('HELLO HALF-OPEN WORLD');
    });

    it('after the peer FIN our write side stays open (TCP-like)', async () => {
      pair = await makePair({ version });
      const incoming: MuxStream[] = [];
      pair.server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
      const stream = pair.client.open();
      await stream.write(Uint8Array.of(1));
      stream.end();
      await until(() => incoming.length === 1);
      expect([...Buffer.concat(await readAll(incoming[0]))]).toEqual([1]);
      const reply = readAll(stream);
      await incoming[0].write(bytes(100_000, 3));
      incoming[0].end();
      expect(Buffer.concat(await reply).length).toBe(100_000);
    });
  });
});

describe('backpressure', () => {
  it('v2: a paused reader holds its sender to the window (256 KiB before any UPD); other streams flow', async () => {
    const pair = await memoryPair({ version: 2 });
    const incoming: MuxStream[] = [];
    pair.server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const slow = pair.client.open();
    const fast = pair.client.open();
    await slow.write(new Uint8Array(0));
    await fast.write(Uint8Array.of(1));
    await until(() => incoming.length === 2);
    const [slowRemote, fastRemote] = incoming;
    slowRemote.pause();
    let accepted = 0;
    const writes = Array.from({ length: 64 }, () => slow.write(new Uint8Array(16 * 1024)).then(() => accepted++));
    const fastDone = readAll(fastRemote);
    await fast.write(bytes(2_000_000, 3));
    fast.end();
    expect(Buffer.concat(await fastDone).length).toBe(2_000_001);
    // The window, and the write buffer's writes that resolved early (128 KiB with 32 KiB frames).
    expect(accepted * 16 * 1024).toBeLessThanOrEqual(256 * 1024 + defaultWriteBuffer(SMUX_GO_DEFAULTS.maxFrameSize));
    expect(accepted).toBeLessThan(64);
    expect(slow.credit).toBe(0);
    const slowDone = readAll(slowRemote);
    slowRemote.resume();
    await Promise.all(writes);
    slow.end();
    expect(Buffer.concat(await slowDone).length).toBe(64 * 16 * 1024);
    pair.client.abort();
    pair.server.abort();
  });

  it('v1 over TCP: a paused reader stalls the session once maxReceiveBuffer waits; reading again lets it all through', async () => {
    const pair = await tcpPair({ version: 1, maxReceiveBuffer: 256 * 1024, maxStreamBuffer: 64 * 1024 });
    const incoming: MuxStream[] = [];
    pair.server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = pair.client.open();
    await stream.write(Uint8Array.of(1));
    await until(() => incoming.length === 1);
    incoming[0].pause();
    const total = 32 * 1024 * 1024;
    let accepted = 0;
    const writes = Array.from({ length: total / (64 * 1024) }, () => stream.write(new Uint8Array(64 * 1024)).then(() => (accepted += 64 * 1024)));
    // The sender stops well short: the receiver paused its socket, TCP and the sender's mark hold the rest.
    await until(() => pair.server.debugState().inboundPaused && pair.client.debugState().blocked, 10_000);
    expect(accepted).toBeLessThan(total / 2);
    const done = readAll(incoming[0]);
    incoming[0].resume();
    await Promise.all(writes);
    stream.end();
    expect(Buffer.concat(await done).length).toBe(total + 1);
    pair.client.abort();
    pair.server.abort();
    await pair.dispose();
  }, 20_000);
});

// Timers and memory-pair deliveries share one virtual clock (virtualDelivery().advance): after
// each step every NOP has crossed, so "not cut" is read with no delivery left, not after a turn.
describe('keepalive in virtual time', () => {
  it('a silent peer is cut with KeepaliveTimeout; a quiet one sending NOPs is not', async () => {
    const time = virtualDelivery();
    const config = { keepAliveInterval: 1000, keepAliveTimeout: 3000, scheduler: time.scheduler };
    const [a] = memoryTransportPair({ scheduler: time.scheduler }); // nobody reads or writes the other end
    const silent = await time.drive(SmuxSession.client(a, config));
    const [c, d] = memoryTransportPair({ scheduler: time.scheduler });
    const alive = await time.drive(SmuxSession.client(c, config));
    const peer = await time.drive(SmuxSession.server(d, config));
    let silentEnd: unknown;
    silent.closed$.subscribe({ next: (end) => (silentEnd = end), error: failTest });
    for (let i = 0; i < 2; i++) await time.advance(1000);
    expect(silentEnd).toBeUndefined();
    for (let i = 0; i < 2; i++) await time.advance(1000);
    expect(silentEnd).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
    for (let i = 0; i < 20; i++) await time.advance(1000);
    expect(alive.debugState().ended).toBe(false);
    expect(peer.debugState().ended).toBe(false);
    alive.abort();
    peer.abort();
  });

  it('silence while our own receive budget pauses reading is not counted (as Go holds its timeout while its bucket is empty)', async () => {
    const time = virtualDelivery();
    const config = { keepAliveInterval: 1000, keepAliveTimeout: 3000, maxReceiveBuffer: 64 * 1024, maxStreamBuffer: 1024, scheduler: time.scheduler };
    const [c, d] = memoryTransportPair({ scheduler: time.scheduler });
    const client = await time.drive(SmuxSession.client(c, config));
    const server = await time.drive(SmuxSession.server(d, config));
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = client.open();
    await time.drive(stream.write(Uint8Array.of(1)));
    await time.quiesce();
    expect(incoming).toHaveLength(1);
    incoming[0].pause();
    const writes = Array.from({ length: 16 }, () => stream.write(new Uint8Array(16 * 1024)));
    await time.quiesce(); // all that can move has: the rest waits for the paused reader
    expect(server.debugState().inboundPaused).toBe(true);
    for (let i = 0; i < 10; i++) await time.advance(1000);
    expect(server.debugState().ended).toBe(false);
    const done = readAll(incoming[0]);
    incoming[0].resume();
    await time.drive(Promise.all(writes));
    stream.end();
    expect(Buffer.concat(await time.drive(done)).length).toBe(1 + 16 * 16 * 1024);
    client.abort();
    server.abort();
  });

  it('keepAliveDisabled: silence is never cut', async () => {
    const time = virtualDelivery();
    const [a] = memoryTransportPair({ scheduler: time.scheduler });
    const session = await time.drive(SmuxSession.client(a, { keepAliveDisabled: true, scheduler: time.scheduler }));
    await time.advance(600_000);
    expect(session.debugState().ended).toBe(false);
    session.abort();
  });
});

describe('config', () => {
  it.each([
    [{ version: 3 }, 'unsupported protocol version'],
    [{ keepAliveInterval: 0 }, 'keep-alive interval must be positive'],
    [{ keepAliveInterval: 5000, keepAliveTimeout: 4000 }, 'keep-alive timeout must be larger'],
    [{ maxFrameSize: 0 }, 'max frame size must be positive'],
    [{ maxFrameSize: 65536 }, 'max frame size must not be larger than 65535'],
    [{ maxReceiveBuffer: 0 }, 'max receive buffer must be positive'],
    [{ maxStreamBuffer: 0 }, 'max stream buffer must be positive'],
    [{ maxStreamBuffer: 8 * 1024 * 1024 }, 'max stream buffer must not be larger than max receive buffer'],
    [{ maxFrameSize: 1.5 }, 'must be an integer'],
  ])('%j is refused with InvalidArgument', async (config, message) => {
    const [a] = memoryTransportPair();
    await expect(SmuxSession.client(a, config as never)).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining(message) as unknown });
  });

  it('keepAliveDisabled skips the keepalive checks, as Go', async () => {
    const [a] = memoryTransportPair();
    const session = await SmuxSession.client(a, { keepAliveDisabled: true, keepAliveInterval: 0 });
    expect(session.config).toMatchObject({ version: 1, maxFrameSize: 32768, maxReceiveBuffer: 4 * 1024 * 1024, maxStreamBuffer: 65536 });
    session.abort();
  });
});
