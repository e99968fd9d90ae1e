import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ClientMux } from '../../lib/mux/client-mux';
import { ServerMux } from '../../lib/mux/server-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import { CloseReason } from '../../lib/packet/close-reason';

async function echoPair(bufferSize = 8) {
  const [c, s] = memoryTransportPair({ highWaterMark: 64 * 1024 });
  const server = ServerMux.accept(s, { bufferSize });
  server.streams$.subscribe(async ({ stream }) => {
    for await (const chunk of stream) await stream.write(chunk);
    stream.close();
  });
  const client = await ClientMux.connect(c, { maxPayload: 1000 });
  return { client, server };
}

describe('ClientMux ↔ ServerMux over memory', () => {
  it('echoes bytes and respects credit', async () => {
    const { client, server } = await echoPair(4);
    expect(client.bufferSize).toBe(4);
    const stream = await client.open('tcp', 'echo.test', 7);
    const data = new Uint8Array(50_000).map((_, i) => i % 251);
    const received: Uint8Array[] = [];
    const done = new Promise<void>((resolve) => {
      let total = 0;
      stream.data$.subscribe((chunk) => {
        received.push(chunk);
        total += chunk.length;
        if (total >= data.length) resolve();
      });
    });
    await stream.write(data);
    await done;
    const joined = Buffer.concat(received);
    expect(Buffer.compare(joined, Buffer.from(data))).toBe(0);
    stream.close();
    expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.Voluntary);
    await client.close();
    await firstValueFrom(server.closed$);
  });

  it('ends streams when the peer closes them', async () => {
    const [c, s] = memoryTransportPair();
    const server = ServerMux.accept(s);
    server.streams$.subscribe(({ stream }) => {
      void stream.write(new Uint8Array([1, 2, 3])).then(() => stream.close(CloseReason.HostBlocked));
    });
    const client = await ClientMux.connect(c);
    const stream = await client.open('tcp', 'x', 1);
    const chunks = await lastValueFrom(stream.data$.pipe(toArray()));
    expect(chunks.map((c) => [...c])).toEqual([[1, 2, 3]]);
    expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
    await expect(stream.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
    await client.close();
  });
});
