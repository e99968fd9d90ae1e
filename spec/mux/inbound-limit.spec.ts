/**
 * The connection-wide byte limit on received data waiting for readers (`maxQueuedBytes`):
 * a client with many streams to slow readers cannot make a server hold more than about the
 * limit, however much credit its streams have; nothing is lost, and reading resumes once the
 * readers catch up.
 */
import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux, type IncomingStream } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { pattern, sha256, until, virtualDelivery } from './helpers';
import { failTest } from '../observers';

const KiB = 1024;
const STREAMS = 4;
const PER_STREAM = 256 * KiB; // 16 packets of 16 KiB: within each stream's credit of 64

/** A server whose streams nobody reads yet, and a client writing PER_STREAM bytes on each. */
async function slowReaders(maxQueuedBytes?: number, time?: ReturnType<typeof virtualDelivery>) {
  const [c, s] = memoryTransportPair({ highWaterMark: 4 * 1024 * KiB, ...(time ? { scheduler: time.scheduler } : {}) });
  const server = ServerMux.accept(s, { bufferSize: 64, ...(maxQueuedBytes === undefined ? {} : { maxQueuedBytes }) });
  const incoming: IncomingStream[] = [];
  server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
  const connecting = ClientMux.connect(c, { maxPayload: 16 * KiB });
  const client = await (time ? time.drive(connecting) : connecting);
  const streams: MuxStream[] = [];
  for (let i = 0; i < STREAMS; i++) streams.push(await client.open('tcp', `slow-${i}`, 9));
  // Every stream is open before any data: once reading pauses, nothing (CONNECTs included) gets in.
  if (time) await time.quiesce();
  await until(() => incoming.length === STREAMS, 'every stream at the server');
  const writes = streams.map((stream, i) => stream.write(pattern(PER_STREAM, i + 1)));
  return { client, server, incoming, streams, writes };
}

/** Reads every server stream to the end of PER_STREAM bytes; resolves with each one's hash. */
function readAll(incoming: IncomingStream[]): Promise<string[]> {
  return Promise.all(
    incoming.map(
      ({ stream }) =>
        new Promise<string>((resolve) => {
          const chunks: Uint8Array[] = [];
          let size = 0;
          stream.data$.subscribe({
            next: (chunk) => {
              chunks.push(chunk);
              size += chunk.length;
              if (size === PER_STREAM) resolve(sha256(chunks));
            },
            error: failTest,
          });
        }),
    ),
  );
}

describe('maxQueuedBytes', () => {
  it('stops reading the transport near the limit, then delivers everything once readers catch up', async () => {
    const limit = 256 * KiB;
    const time = virtualDelivery();
    const { client, server, incoming, writes } = await slowReaders(limit, time);
    await time.quiesce(); // everything that can move has: the rest waits for readers
    const held = server.debugState().queuedBytes;
    expect(held).toBeGreaterThan(limit);
    expect(held).toBeLessThanOrEqual(limit + 16 * KiB + 5); // one packet past the line, no more
    expect(server.debugState().inboundPaused).toBe(true);

    const hashes = await time.drive(readAll(incoming));
    await time.drive(Promise.all(writes));
    expect(hashes).toEqual(Array.from({ length: STREAMS }, (_, i) => sha256([pattern(PER_STREAM, i + 1)])));
    expect(server.debugState().queuedBytes).toBe(0);
    await time.drive(client.close());
    await time.drive(firstValueFrom(server.closed$));
  });

  it('holds everything credit allows when the limit is above it (the default, 64 MiB)', async () => {
    const { client, server, incoming, writes } = await slowReaders();
    await Promise.all(writes); // all of it went out: nothing paused the server's reading
    await until(() => server.debugState().queuedBytes === STREAMS * PER_STREAM, 'every byte queued');
    await readAll(incoming);
    await client.close();
    await firstValueFrom(server.closed$);
  });

  it('stops counting a stream the server closes, and reads again', async () => {
    const limit = 256 * KiB;
    const { client, server, incoming, writes } = await slowReaders(limit);
    await until(() => server.debugState().inboundPaused, 'reading to pause');
    // The client's own CLOSEs would wait behind the data it sent; the server's take effect now.
    for (const { stream } of incoming) stream.close(CloseReason.Voluntary);
    expect(server.debugState().queuedBytes).toBe(0);
    expect(server.debugState().inboundPaused).toBe(false);
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as { code?: string }).code === 'StreamClosed')).toBe(true);
    await client.close();
    await firstValueFrom(server.closed$);
  });
});
