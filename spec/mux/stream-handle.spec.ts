import { firstValueFrom } from 'rxjs';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { v1Pair } from './helpers';
import { failTest } from '../observers';

describe('MuxStream handle', () => {
  it('gives the same data$ and closed$ on every read, and both end when the peer closes', async () => {
    const { client, server } = await v1Pair();
    const incoming = firstValueFrom(server.streams$);
    const stream = await client.open('tcp', 'a.test', 80);
    const { stream: remote } = await incoming;
    expect(stream.data$).toBe(stream.data$);
    expect(stream.closed$).toBe(stream.closed$);
    expect(stream.reader.data$).toBe(stream.data$);

    const received: number[] = [];
    const reasons: number[] = [];
    const dataEnded = new Promise<void>((resolve) => stream.data$.subscribe({ next: (c) => received.push(c.length), error: failTest, complete: resolve }));
    // eslint-disable-next-line rxjs-x/no-ignored-error -- closed$ never errors; the function form is the common one
    stream.closed$.subscribe((reason) => reasons.push(reason));
    const closed = firstValueFrom(stream.closed$);
    remote.send(new Uint8Array(3), () => remote.close(CloseReason.Voluntary));
    expect(await closed).toBe(CloseReason.Voluntary);
    await dataEnded;
    expect(received).toEqual([3]);
    expect(reasons).toEqual([CloseReason.Voluntary]);
    await client.close();
  });
});
