import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { messageBytes } from '../../lib/transport/transport';
import { dropMemoryTransport, memoryTransportPair } from '../../lib/transport/memory';
import { WispError } from '../../lib/errors';
import { failTest } from '../observers';
import { virtualDelivery } from '../mux/helpers';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('memory transport', () => {
  it('delivers messages in order', async () => {
    const [a, b] = memoryTransportPair();
    const received = firstValueFrom(b.messages$.pipe(take(50), toArray()));
    for (let i = 0; i < 50; i++) expect(a.send(bytes(i, i >> 8))).toBe(true);
    expect((await received).map((m) => messageBytes(m)[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('holds delivery while paused and releases it on resume', async () => {
    const time = virtualDelivery();
    const [a, b] = memoryTransportPair({ scheduler: time.scheduler });
    const seen: number[] = [];
    b.messages$.subscribe({ next: (m) => seen.push(messageBytes(m)[0]), error: failTest });
    b.pause();
    a.send(bytes(1));
    a.send(bytes(2));
    await time.quiesce(); // no delivery left: what is not seen now is held, not late
    expect(seen).toEqual([]);
    b.resume();
    await time.quiesce();
    expect(seen).toEqual([1, 2]);
  });

  it('returns false above the high water mark and emits drain$ once the reader catches up', async () => {
    const [a, b] = memoryTransportPair({ highWaterMark: 100 });
    b.pause();
    b.messages$.subscribe();
    expect(a.send(new Uint8Array(60))).toBe(true);
    expect(a.send(new Uint8Array(60))).toBe(false);
    expect(a.writable).toBe(false);
    const drained = firstValueFrom(a.drain$);
    b.resume();
    await drained;
    expect(a.writable).toBe(true);
  });

  it('completes messages$ and reports a clean close', async () => {
    const [a, b] = memoryTransportPair();
    const done = lastValueFrom(b.messages$.pipe(toArray()));
    a.send(bytes(7));
    a.close(1000, 'bye');
    expect((await done).map((m) => messageBytes(m)[0])).toEqual([7]);
    expect(await firstValueFrom(b.closed$)).toEqual({ code: 1000, reason: 'bye', clean: true });
  });

  it('errors messages$ with TransportClosed when the connection drops', async () => {
    const [a, b] = memoryTransportPair();
    const done = lastValueFrom(b.messages$);
    dropMemoryTransport(a);
    await expect(done).rejects.toMatchObject({ name: 'WispError', code: 'TransportClosed' });
    await expect(done).rejects.toBeInstanceOf(WispError);
    expect(await firstValueFrom(b.closed$)).toMatchObject({ code: 1006, clean: false });
  });
});
