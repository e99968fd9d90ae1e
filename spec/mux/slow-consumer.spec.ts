import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { PacketType } from '../../lib/wisp/packet/types';
import { collect, concat, pattern, queued, tap, total, until, v1Pair, virtualDelivery } from './helpers';
import { failTest } from '../observers';

describe('a slow consumer on the client', () => {
  it('pauses the transport after maxQueuedPackets and resumes it once drained, losing nothing', async () => {
    const time = virtualDelivery();
    const { client, server, clientTransport } = await time.drive(v1Pair({ client: { maxQueuedPackets: 4 }, server: { maxPayload: 100 }, transport: { scheduler: time.scheduler } }));
    const pause = jest.spyOn(clientTransport, 'pause');
    const resume = jest.spyOn(clientTransport, 'resume');
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    stream.pause();
    const reader = collect(stream);
    const { stream: remote } = await time.drive(incoming);
    const data = pattern(4000); // 40 packets
    await time.drive(remote.write(data)); // server → client has no credit: the transport takes it all
    await time.quiesce(); // all that can be delivered has been: the rest waits behind the paused transport

    expect(pause).toHaveBeenCalledTimes(1);
    expect(resume).not.toHaveBeenCalled();
    expect(queued(stream)).toBe(5); // maxQueuedPackets + the one that tipped it over
    expect(reader.chunks).toHaveLength(0);

    stream.resume();
    expect(resume).toHaveBeenCalledTimes(1); // drained at once
    await time.quiesce();
    expect(total(reader.chunks)).toBe(data.length);
    expect(pause).toHaveBeenCalledTimes(1);
    expect(reader.chunks).toHaveLength(40);
    expect(concat(reader.chunks).equals(Buffer.from(data))).toBe(true);
    await time.drive(client.close());
  });

  it('bounds the inbox while a consumer keeps stalling, and delivers every byte in order', async () => {
    const [c, s] = memoryTransportPair();
    let stream: MuxStream | undefined;
    let most = 0;
    const clientSide = tap(c, {
      afterReceive: (p) => void (p.type === PacketType.Data && stream && (most = Math.max(most, queued(stream)))),
    });
    const pause = jest.spyOn(c, 'pause');
    const resume = jest.spyOn(c, 'resume');
    const server = ServerMux.accept(s, { maxPayload: 64 });
    const client = await ClientMux.connect(clientSide.transport, { v2: false, maxQueuedPackets: 8 });
    const incoming = firstValueFrom(server.streams$);
    stream = await client.open('tcp', 'a.test', 80);
    const received: Uint8Array[] = [];
    const local = stream;
    local.data$.subscribe({
      next: (chunk) => {
        received.push(chunk);
        if (received.length % 3 === 0) {
          local.pause();
          setImmediate(() => local.resume());
        }
      },
      error: failTest,
    });
    const { stream: remote } = await incoming;
    const data = pattern(64 * 500, 9);
    await remote.write(data);
    await until(() => total(received) === data.length, 'all data at the client');

    expect(most).toBeLessThanOrEqual(9);
    expect(pause.mock.calls.length).toBeGreaterThan(0);
    expect(resume.mock.calls.length).toBe(pause.mock.calls.length);
    expect(concat(received).equals(Buffer.from(data))).toBe(true);
    await client.close();
  });

  it('closing a paused stream that stopped the transport lets the other streams flow again', async () => {
    const time = virtualDelivery();
    const { client, server, clientTransport } = await time.drive(v1Pair({ client: { maxQueuedPackets: 2 }, transport: { scheduler: time.scheduler } }));
    const resume = jest.spyOn(clientTransport, 'resume');
    const remotes: MuxStream[] = [];
    server.streams$.subscribe({ next: ({ stream }) => remotes.push(stream), error: failTest });
    const stuck = await client.open('tcp', 'a.test', 1);
    const other = await client.open('tcp', 'b.test', 2);
    stuck.pause();
    const reader = collect(other);
    await time.quiesce();
    expect(remotes).toHaveLength(2);
    for (let i = 0; i < 5; i++) remotes[0].send(Uint8Array.of(i));
    await time.drive(remotes[1].write(Uint8Array.of(42))); // queued behind the paused transport
    await time.quiesce(); // nothing left to deliver: the 42 waits behind the paused transport
    expect(reader.chunks).toHaveLength(0);

    stuck.close();
    expect(resume).toHaveBeenCalledTimes(1);
    await time.quiesce();
    expect(reader.chunks.map((c) => [...c])).toEqual([[42]]);
    await time.drive(client.close());
  });
});
