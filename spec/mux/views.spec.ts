import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { PacketType } from '../../lib/wisp/packet/types';
import type { MuxStream } from '../../lib/stream/mux-stream';
import type { StreamRecord } from '../../lib/core/stream-record';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import { concat, echo, pattern, settle, sha256, tap, v1Pair } from './helpers';
import { failTest } from '../observers';

const MiB = 1024 * 1024;
/** Test-only: whether the actor's queue for this stream is paused. */
const isPaused = (s: MuxStream): boolean => (s as unknown as { record: StreamRecord }).record.queue.isPaused;

describe('async iteration', () => {
  it('delivers every chunk in order and keeps the stream paused while the consumer is busy', async () => {
    const { client, server } = await v1Pair();
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    const { stream: remote } = await incoming;
    const sent = Array.from({ length: 50 }, (_, i) => pattern(100 + i, i + 1));
    for (const chunk of sent) remote.send(chunk);
    remote.send(Uint8Array.of(0), () => remote.close());

    const received: Uint8Array[] = [];
    let pausedWhileBusy = 0;
    for await (const chunk of stream) {
      received.push(chunk);
      await settle(); // a consumer doing asynchronous work; everything else gets to run meanwhile
      if (isPaused(stream)) pausedWhileBusy++;
    }
    expect(received).toHaveLength(51);
    expect(sha256(received.slice(0, 50))).toBe(sha256(sent));
    expect(pausedWhileBusy).toBe(51);
    await client.close();
  });

  it('a slow iterating server consumer slows the client to bufferSize packets ahead', async () => {
    const bufferSize = 4;
    let sent = 0;
    let consumed = 0;
    let worst = 0;
    const [c, s] = memoryTransportPair();
    const clientSide = tap(c, {
      onSend(p) {
        if (p.type !== PacketType.Data) return;
        sent++;
        worst = Math.max(worst, sent - consumed);
      },
    });
    const server = ServerMux.accept(s, { bufferSize });
    const client = await ClientMux.connect(clientSide.transport, { v2: false, maxPayload: 100 });
    const received: Uint8Array[] = [];
    const done = new Promise<void>((resolve) => {
      server.streams$.subscribe({
        next: ({ stream }) => {
          void (async () => {
            for await (const chunk of stream) {
              await settle();
              received.push(chunk);
              consumed++;
            }
            resolve();
          })();
        },
        error: failTest,
      });
    });
    const stream = await client.open('tcp', 'a.test', 80);
    const data = pattern(10_000);
    await stream.write(data);
    stream.close();
    await done;
    expect(concat(received).equals(Buffer.from(data))).toBe(true);
    expect(worst).toBeGreaterThanOrEqual(bufferSize);
    expect(worst).toBeLessThanOrEqual(bufferSize + 1); // + the one chunk handed to the iterator
    await client.close();
  });
});

describe('toDuplex()', () => {
  it('pipes into a slow Writable with backpressure and delivers every byte', async () => {
    const { client, server } = await v1Pair({
      transport: { highWaterMark: 64 * 1024 },
      client: { maxQueuedPackets: 4 },
      server: { maxPayload: 16 * 1024 },
    });
    const data = pattern(MiB, 7);
    let written = 0;
    let arrived = 0;
    let lag = 0;
    server.streams$.subscribe({
      next: ({ stream }) => {
        void (async () => {
          for (let at = 0; at < data.length; at += 64 * 1024) {
            await stream.write(data.subarray(at, at + 64 * 1024));
            written += 64 * 1024;
            lag = Math.max(lag, written - arrived);
          }
          stream.close();
        })();
      },
      error: failTest,
    });
    const stream = await client.open('tcp', 'a.test', 80);
    const pause = jest.spyOn(stream, 'pause');
    const hash = createHash('sha256');
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        arrived += chunk.length;
        setImmediate(callback);
      },
    });
    await pipeline(stream.toDuplex({ readableHighWaterMark: 16 * 1024 }), slow);

    expect(arrived).toBe(MiB);
    expect(hash.digest('hex')).toBe(sha256([data]));
    expect(pause).toHaveBeenCalled();
    // How far the server's completed writes ran ahead of the slow Writable. Without
    // backpressure they would all complete at once (lag = 1 MiB).
    expect(lag).toBeLessThan(256 * 1024); // ≈ transport 64K + inbox 5×16K + duplex and Writable buffers
    expect(stream.closeReason).toBe(CloseReason.Voluntary);
    await client.close();
  });

  it('round-trips 1 MiB through an echo server', async () => {
    const { client, server } = await v1Pair({ client: { maxPayload: 16 * 1024 } });
    echo(server);
    const stream = await client.open('tcp', 'echo.test', 7);
    const duplex = stream.toDuplex();
    const data = pattern(MiB, 11);
    const back: Buffer[] = [];
    let length = 0;
    const complete = new Promise<void>((resolve) => {
      duplex.on('data', (chunk: Buffer) => {
        back.push(chunk);
        length += chunk.length;
        if (length >= data.length) resolve();
      });
    });
    for (let at = 0; at < data.length; at += 10_000) {
      if (!duplex.write(data.subarray(at, at + 10_000))) await new Promise((resolve) => duplex.once('drain', resolve));
    }
    await complete;
    expect(length).toBe(MiB);
    expect(sha256(back)).toBe(sha256([data]));
    const closed = new Promise((resolve) => duplex.once('close', resolve));
    duplex.end();
    await closed;
    expect(stream.closeReason).toBe(CloseReason.Voluntary);
    await client.close();
  });
});

describe('toWebStreams()', () => {
  it('round-trips through an echo server; closing the writable closes the stream', async () => {
    const { client, server } = await v1Pair({ client: { maxPayload: 1000 } });
    echo(server);
    const remoteClosed = firstValueFrom(server.streams$).then(({ stream }) => firstValueFrom(stream.closed$));
    const stream = await client.open('tcp', 'echo.test', 7);
    const { readable, writable } = stream.toWebStreams();
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const data = pattern(100_000, 5);
    const writing = (async () => {
      for (let at = 0; at < data.length; at += 3000) await writer.write(data.subarray(at, at + 3000));
    })();
    const back: Uint8Array[] = [];
    let length = 0;
    while (length < data.length) {
      const { value, done } = await reader.read();
      if (done) break;
      back.push(value);
      length += value.length;
    }
    await writing;
    expect(sha256(back)).toBe(sha256([data]));
    await writer.close();
    expect(await reader.read()).toEqual({ value: undefined, done: true });
    expect(await remoteClosed).toBe(CloseReason.Voluntary);
    await client.close();
  });
});
