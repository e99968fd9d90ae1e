import { firstValueFrom, tap } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { PacketType } from '../../lib/wisp/packet/types';
import { isSplitMessage, messageBytes, type Transport, type TransportMessage } from '../../lib/transport/transport';
import { pattern, sha256, until } from './helpers';
import { failTest } from '../observers';

async function echoPair(bufferSize = 8) {
  const [c, s] = memoryTransportPair({ highWaterMark: 64 * 1024 });
  const server = ServerMux.accept(s, { bufferSize });
  server.streams$.subscribe({
    next: ({ stream }) =>
      void (async () => {
        for await (const chunk of stream) await stream.write(chunk);
        stream.close();
      })(),
    error: failTest,
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
      stream.data$.subscribe({
        next: (chunk) => {
          received.push(chunk);
          total += chunk.length;
          if (total >= data.length) resolve();
        },
        error: failTest,
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
    server.streams$.subscribe({
      next: ({ stream }) => {
        void stream.write(new Uint8Array([1, 2, 3])).then(() => stream.close(CloseReason.HostBlocked));
      },
      error: failTest,
    });
    const client = await ClientMux.connect(c);
    const stream = await client.open('tcp', 'x', 1);
    const chunks: Uint8Array[] = [];
    const ended = await new Promise<unknown>((resolve) =>
      stream.data$.subscribe({ next: (chunk) => chunks.push(chunk), error: resolve, complete: () => resolve('completed') }),
    );
    // The data first, then the refusal as a typed error with the wire reason.
    expect(chunks.map((c) => [...c])).toEqual([[1, 2, 3]]);
    expect(ended).toMatchObject({ code: 'StreamClosed', reason: CloseReason.HostBlocked });
    expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
    await expect(stream.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
    await client.close();
  });
});

describe('large DATA over a transport that can send split messages', () => {
  /** A client and a server on a memory pair with `split`; the server records what it receives. */
  async function splitPair() {
    const [c, s] = memoryTransportPair({ split: true, highWaterMark: 1024 * 1024 });
    const arrived: TransportMessage[] = [];
    const tapped: Transport = {
      ...s,
      messages$: s.messages$.pipe(tap((m) => arrived.push(m))),
      send: (m) => s.send(m),
      sendSplit: (head, body) => s.sendSplit!(head, body),
      pause: () => s.pause(),
      resume: () => s.resume(),
      close: (code, reason) => s.close(code, reason),
      get writable() {
        return s.writable;
      },
    };
    const server = ServerMux.accept(tapped, { bufferSize: 16 });
    const client = await ClientMux.connect(c);
    return { client, server, arrived };
  }

  it('sends payloads from 16 KiB on as header + payload without copying them, and small ones whole', async () => {
    const { client, server, arrived } = await splitPair();
    const chunks: Uint8Array[] = [];
    server.streams$.subscribe({ next: ({ stream }) => stream.data$.subscribe({ next: (chunk) => chunks.push(chunk), error: failTest }), error: failTest });
    const stream = await client.open('tcp', 'sink.test', 9);
    const big = pattern(64 * 1024, 5);
    const small = pattern(100, 6);
    await stream.write(big);
    await stream.write(small);
    await until(() => chunks.length === 2, 'both chunks at the server');
    // The big payload crossed as the very buffer written (no copy on either side).
    expect(chunks[0]).toBe(big);
    expect(Buffer.compare(chunks[1], small)).toBe(0);
    const data = arrived.filter((m) => messageBytes(m)[0] === PacketType.Data);
    expect(data.map((m) => isSplitMessage(m))).toEqual([true, false]);
    await client.close();
    await firstValueFrom(server.closed$);
  });

  it('splits a write larger than maxPayload into split packets that reassemble exactly', async () => {
    const { client, server } = await splitPair();
    const chunks: Uint8Array[] = [];
    server.streams$.subscribe({ next: ({ stream }) => stream.data$.subscribe({ next: (chunk) => chunks.push(chunk), error: failTest }), error: failTest });
    const stream = await client.open('tcp', 'sink.test', 9);
    const data = pattern(1_000_000, 7);
    await stream.write(data);
    await until(() => chunks.reduce((n, c) => n + c.length, 0) === data.length, 'all bytes at the server');
    expect(sha256(chunks)).toBe(sha256([data]));
    await client.close();
    await firstValueFrom(server.closed$);
  });
});
