import { firstValueFrom, type SchedulerLike } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { PacketType } from '../../lib/wisp/packet/types';
import { collect, concat, continuesOf, dataOf, pattern, queued, tap, total, track, until, virtualDelivery } from './helpers';
import { failTest } from '../observers';

/** A pair (v1 unless `protocol` is `wisp-v2`) whose transports are both tapped. */
async function tappedPair(
  bufferSize: number,
  maxPayload: number,
  options: { hooks?: Parameters<typeof tap>[1]; protocol?: string; scheduler?: SchedulerLike; writeBufferBytes?: number } = {},
) {
  const { hooks = {}, protocol = '', scheduler, writeBufferBytes } = options;
  const [c, s] = memoryTransportPair({ protocol, ...(scheduler ? { scheduler } : {}) });
  const clientSide = tap(c, hooks);
  const serverSide = tap(s);
  const server = ServerMux.accept(serverSide.transport, { bufferSize, maxPayload });
  const client = await ClientMux.connect(clientSide.transport, { v2: protocol !== '', maxPayload, ...(writeBufferBytes === undefined ? {} : { writeBufferBytes }) });
  return { client, server, clientSide, serverSide };
}

describe('client credit', () => {
  it.each([
    ['v1', ''],
    ['v2, stream-open confirmation agreed, never confirmed', 'wisp-v2'],
  ])('never has more than bufferSize DATA packets unacknowledged, and every grant is respected (%s)', async (_, protocol) => {
    const bufferSize = 4;
    let delivered = 0;
    let sent = 0;
    let worst = 0;
    // Credit model of the wire: CONTINUE(v) replaces the credit; each DATA spends one.
    let allowance = bufferSize;
    let sinceGrant = 0;
    const violations: string[] = [];
    const hooks: Parameters<typeof tap>[1] = {
      beforeReceive(p) {
        if (p.type === PacketType.Continue && 'bufferRemaining' in p && p.streamId === 1) {
          if (p.bufferRemaining > bufferSize) violations.push(`CONTINUE(${p.bufferRemaining}) exceeds the buffer`);
          allowance = p.bufferRemaining;
          sinceGrant = 0;
        }
      },
      onSend(p) {
        if (p.type !== PacketType.Data || p.streamId !== 1) return;
        sent++;
        if (++sinceGrant > allowance) violations.push(`DATA #${sent} sent past a credit of ${allowance}`);
        worst = Math.max(worst, sent - delivered);
      },
    };
    const { client, server } = await tappedPair(bufferSize, 100, { hooks, protocol });
    const received: Uint8Array[] = [];
    server.streams$.subscribe({
      next: ({ stream }) => {
        // A consumer that stalls after every chunk until the next macrotask.
        stream.data$.subscribe({
          next: (chunk) => {
            delivered++;
            received.push(chunk);
            stream.pause();
            setImmediate(() => stream.resume());
          },
          error: failTest,
        });
      },
      error: failTest,
    });
    const stream = await client.open('tcp', 'a.test', 80);
    const data = pattern(20_000);
    await stream.write(data);
    await until(() => total(received) === data.length, 'all data at the server');

    expect(sent).toBe(200);
    expect(violations).toEqual([]);
    expect(worst).toBe(bufferSize); // reached, never exceeded
    expect(concat(received).equals(Buffer.from(data))).toBe(true);
    await client.close();
  });

  it('a paused server stream holds at most bufferSize packets; the client write waits until resume()', async () => {
    const time = virtualDelivery();
    // No write buffer: the write waits for its own bytes, so it shows the credit holding it.
    const connecting = tappedPair(4, 100, { scheduler: time.scheduler, writeBufferBytes: 0 });
    await time.quiesce();
    const { client, server, clientSide } = await connecting;
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    await time.quiesce();
    const { stream: remote } = await incoming;
    remote.pause();
    const reader = collect(remote);
    const write = track(stream.write(pattern(1000))); // 10 packets
    await time.quiesce(); // every packet and CONTINUE that could move has moved

    expect(write.settled()).toBe(false);
    expect(dataOf(clientSide.sent, stream.id)).toHaveLength(4);
    expect(stream.credit).toBe(0);
    expect(queued(remote)).toBe(4);
    expect(reader.chunks).toHaveLength(0);

    remote.resume();
    expect(reader.chunks).toHaveLength(4); // exactly what it held, delivered at once
    await time.quiesce();
    expect(write.settled()).toBe(true);
    expect(reader.chunks).toHaveLength(10);
    expect(concat(reader.chunks).equals(Buffer.from(pattern(1000)))).toBe(true);
    await client.close();
  });

  it('batches CONTINUEs: far fewer CONTINUE packets than packets consumed', async () => {
    const { client, server, serverSide } = await tappedPair(8, 10);
    const received: Uint8Array[] = [];
    server.streams$.subscribe({ next: ({ stream }) => stream.data$.subscribe({ next: (c) => received.push(c), error: failTest }), error: failTest });
    const stream = await client.open('tcp', 'a.test', 80);
    const packets = 400;
    await stream.write(pattern(packets * 10));
    await until(() => received.length === packets, 'all packets consumed');
    const continues = continuesOf(serverSide.sent, stream.id);
    expect(continues.length).toBeGreaterThan(0);
    expect(continues.length).toBeLessThan(packets / 4); // at most one per half buffer
    for (const c of continues) expect(c.bufferRemaining).toBeGreaterThanOrEqual(4);
    await client.close();
  });
});

describe('packet size', () => {
  it('splits large writes into packets of at most maxPayload, both ways, without losing a byte', async () => {
    const { client, server, clientSide, serverSide } = await tappedPair(128, 1000);
    let remote: MuxStream | undefined;
    const upstream: Uint8Array[] = [];
    server.streams$.subscribe({
      next: ({ stream }) => {
        remote = stream;
        stream.data$.subscribe({ next: (c) => upstream.push(c), error: failTest });
      },
      error: failTest,
    });
    const stream = await client.open('tcp', 'a.test', 80);
    const up = pattern(10_500, 3);
    await stream.write(up);
    await until(() => total(upstream) === up.length, 'upstream data');
    expect(dataOf(clientSide.sent, stream.id).map((p) => p.payload.length)).toEqual([...new Array<number>(10).fill(1000), 500]);
    expect(upstream.map((c) => c.length)).toEqual([...new Array<number>(10).fill(1000), 500]);
    expect(concat(upstream).equals(Buffer.from(up))).toBe(true);

    const reader = collect(stream);
    const down = pattern(2500, 4);
    await remote!.write(down);
    await until(() => total(reader.chunks) === down.length, 'downstream data');
    expect(dataOf(serverSide.sent, stream.id).map((p) => p.payload.length)).toEqual([1000, 1000, 500]);
    expect(concat(reader.chunks).equals(Buffer.from(down))).toBe(true);
    await client.close();
  });
});

describe('a stream waiting for credit', () => {
  it('does not hold up writes on the other streams of the connection', async () => {
    // Regression: a write that left a stream at zero credit put it in the send queue, and a
    // non-empty queue sent every later write (any stream) to wait for a pump that only a
    // CONTINUE or a transport drain would trigger: one stalled stream froze the connection.
    const time = virtualDelivery();
    // No write buffer: a write that resolves has gone out, so it shows that nothing waits.
    const { client, server, clientSide } = await time.drive(tappedPair(2, 100, { scheduler: time.scheduler, writeBufferBytes: 0 }));
    const remotes = new Map<string, MuxStream>();
    server.streams$.subscribe({
      next: ({ connect, stream }) => {
        remotes.set(connect.host, stream);
        if (connect.host !== 'stalled') return;
        stream.pause(); // reads nothing until resumed: no CONTINUE comes meanwhile
        stream.data$.subscribe();
      },
      error: failTest,
    });
    const stalled = await client.open('tcp', 'stalled', 1);
    const other = await client.open('tcp', 'other', 2);
    const datagrams = await client.open('udp', 'datagrams', 3);
    const waiting = track(stalled.write(pattern(1000))); // 2 packets sent, 8 wait for credit
    await time.quiesce(); // no CONTINUE is on its way: the stalled stream stays at zero credit
    expect(stalled.credit).toBe(0);

    await time.drive(other.write(Uint8Array.of(1)));
    await time.drive(datagrams.write(Uint8Array.of(2)));
    expect(dataOf(clientSide.sent, other.id)).toHaveLength(1);
    expect(dataOf(clientSide.sent, datagrams.id)).toHaveLength(1);
    const more = track(stalled.write(Uint8Array.of(3))); // queued behind the first, still no credit
    await time.drive(other.write(Uint8Array.of(4)));
    await time.quiesce();
    expect(dataOf(clientSide.sent, stalled.id)).toHaveLength(2);
    expect(waiting.settled()).toBe(false);

    remotes.get('stalled')!.resume(); // credit comes back: the stalled stream finishes too
    await time.drive(Promise.all([waiting.promise, more.promise]));
    await time.drive(client.close());
  });
});
