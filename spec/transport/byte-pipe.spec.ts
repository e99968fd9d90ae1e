/** asBytePipe: a message transport (memory pair, a real `ws` loopback pair) used as a byte pipe. */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { asBytePipe } from '../../lib/transport/byte-pipe';
import { frames } from '../../lib/transport/frames';
import { lengthPrefixLayout } from '../../lib/transport/frame-splitter';
import { memoryTransportPair, dropMemoryTransport } from '../../lib/transport/memory';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { connectWs, wsTransport } from '../../lib/transport/ws';
import { settled, within } from '../support/within';
import { patternBytes, startLoopback, type Loopback } from './loopback';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const all = (transport: Transport): Promise<TransportMessage[]> => lastValueFrom(transport.messages$.pipe(toArray()));

describe('asBytePipe over an in-memory pair', () => {
  it('emits every message as a chunk, a split message as its head then its body (the same views), and skips empty ones', async () => {
    const [a, b] = memoryTransportPair({ split: true });
    const pipe = asBytePipe(b);
    expect(pipe.framing).toBe('bytes');
    const received = all(pipe);
    const head = bytes(1, 2);
    const body = bytes(3, 4, 5);
    const whole = bytes(6);
    a.sendSplit!(head, body);
    a.send(new Uint8Array(0));
    a.sendSplit!(new Uint8Array(0), bytes(7));
    a.send(whole);
    a.close();
    const chunks = await within(received, 5000, 'the chunks');
    expect(chunks.map((c) => [...(c as Uint8Array)])).toEqual([[1, 2], [3, 4, 5], [7], [6]]);
    // No join, no copy: the very views that were sent.
    expect(chunks[0]).toBe(head);
    expect(chunks[1]).toBe(body);
    expect(chunks.every((c) => ArrayBuffer.isView(c))).toBe(true);
  });

  it('delegates sending, sendSplit, backpressure, pause and close to the wrapped transport; wraps a byte transport only once', async () => {
    const [a, b] = memoryTransportPair({ highWaterMark: 10, protocol: 'p' });
    const pipe = asBytePipe(a);
    expect(asBytePipe(pipe)).toBe(pipe);
    expect(pipe.protocol).toBe('p');
    expect(typeof pipe.sendSplit).toBe('undefined'); // the memory pair without `split` has none
    const reading = all(b);
    b.pause();
    expect(pipe.send(new Uint8Array(8))).toBe(true);
    expect(pipe.send(new Uint8Array(8))).toBe(false);
    expect(pipe.writable).toBe(false);
    const drained = firstValueFrom(pipe.drain$);
    b.resume();
    await within(drained, 5000, 'drain$');
    expect(pipe.writable).toBe(true);
    pipe.close();
    expect(await within(firstValueFrom(pipe.closed$), 5000, 'closed$')).toMatchObject({ clean: true });
    expect((await reading).length).toBe(2);
  });

  it('frames() cuts frames out of it whatever the message boundaries, and a dropped transport errors it', async () => {
    const [a, b] = memoryTransportPair();
    const decoded = lastValueFrom(asBytePipe(b).messages$.pipe(frames(lengthPrefixLayout(64)), toArray()));
    // Two frames [4 bytes][1 byte], sent cut as 3 + 4 + 2 + 1 bytes.
    const stream = bytes(4, 0, 0, 0, 10, 11, 12, 13, 1, 0, 0, 0, 20);
    for (const [from, to] of [[0, 3], [3, 7], [7, 9], [9, 13]]) a.send(stream.subarray(from, to));
    a.close();
    const got = await within(decoded, 5000, 'the frames');
    expect(got.map((f) => [...f.body])).toEqual([[10, 11, 12, 13], [20]]);

    const [c, d] = memoryTransportPair();
    const failed = settled(lastValueFrom(asBytePipe(d).messages$));
    dropMemoryTransport(c);
    expect(await within(failed, 5000, 'the error')).toMatchObject({ error: { code: 'TransportClosed' } });
  });
});

describe('asBytePipe over a real ws loopback pair', () => {
  let loopback: Loopback;
  beforeEach(async () => {
    loopback = await startLoopback();
  });
  afterEach(() => loopback.close());

  async function pair(): Promise<[Transport, Transport]> {
    const connecting = connectWs(loopback.url, []);
    const server = wsTransport(await loopback.nextConnection());
    return [await connecting, server];
  }

  it('delivers messages as chunks; a split message (two frames) becomes two chunks with the same bytes', async () => {
    const [client, server] = await pair();
    const pipe = asBytePipe(server);
    const received = all(pipe);
    const head = patternBytes(5, 1);
    const body = patternBytes(70_000, 2);
    const whole = patternBytes(300, 3);
    expect(client.sendSplit!(head, body)).toBe(true);
    client.send(whole);
    client.close();
    const chunks = (await within(received, 5000, 'the chunks')) as Uint8Array[];
    expect(chunks.map((c) => c.length)).toEqual([5, 70_000, 300]);
    expect(Buffer.from(chunks[0]).equals(Buffer.from(head))).toBe(true);
    expect(Buffer.from(chunks[1]).equals(Buffer.from(body))).toBe(true);
    expect(Buffer.from(chunks[2]).equals(Buffer.from(whole))).toBe(true);
  });

  it('a byte pipe on both ends carries a byte stream that frames() splits; a dropped socket errors it with TransportClosed', async () => {
    const [client, server] = await pair();
    const sender = asBytePipe(client);
    const decoded = lastValueFrom(asBytePipe(server).messages$.pipe(frames(lengthPrefixLayout(1 << 20)), toArray()));
    const payloads = [patternBytes(100_000, 4), patternBytes(1, 5), patternBytes(0, 6)];
    const prefix = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n, 0);
      return b;
    };
    const stream = Buffer.concat(payloads.flatMap((p) => [prefix(p.length), p]));
    for (let at = 0; at < stream.length; at += 7777) sender.send(stream.subarray(at, at + 7777));
    sender.close();
    const got = await within(decoded, 5000, 'the frames');
    expect(got.map((f, i) => Buffer.from(f.body).equals(Buffer.from(payloads[i])))).toEqual([true, true, true]);

    const [other, otherServer] = await pair();
    const failed = settled(lastValueFrom(asBytePipe(otherServer).messages$));
    await loopback.close(); // terminates both sockets: no close frame
    expect(await within(failed, 5000, 'the error')).toMatchObject({ error: { code: 'TransportClosed' } });
    expect(await firstValueFrom(other.closed$)).toMatchObject({ clean: false });
    loopback = await startLoopback(); // for afterEach
  });
});
