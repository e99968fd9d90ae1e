import { LazySubject, ReplayLazySubject } from '../../lib/core/lazy-subject';
import { ServerMux, type IncomingStream, type ServerMuxWatcher } from '../../lib/wisp/server-mux';
import { ClientMux } from '../../lib/wisp/client-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import type { MuxEnd } from '../../lib/core/actor';
import { failTest } from '../observers';

describe('LazySubject', () => {
  it('calls the listener first, then subscribers, and makes no Subject until subscribed', () => {
    const events = new LazySubject<number>();
    const seen: string[] = [];
    events.listener = { next: (v) => seen.push(`listener ${v}`) };
    events.next(1);
    expect(events.observers).toHaveLength(1); // the listener only
    const subscription = events.asObservable().subscribe({ next: (v) => seen.push(`subscriber ${v}`), error: failTest });
    events.next(2);
    subscription.unsubscribe();
    events.next(3);
    expect(seen).toEqual(['listener 1', 'listener 2', 'subscriber 2', 'listener 3']);
  });

  it('shows its end to late subscribers, drops the listener at the end, and ignores later values', () => {
    const events = new LazySubject<number>();
    const listened: string[] = [];
    events.listener = { next: (v) => listened.push(`next ${v}`), complete: () => listened.push('complete') };
    events.complete();
    events.next(1);
    expect(listened).toEqual(['complete']);
    expect(events.observers).toHaveLength(0);
    const late: string[] = [];
    events.asObservable().subscribe({ next: (v) => late.push(`next ${v}`), error: failTest, complete: () => late.push('complete') });
    expect(late).toEqual(['complete']);

    const failing = new LazySubject<number>();
    failing.error(new Error('boom'));
    const errors: unknown[] = [];
    failing.asObservable().subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toEqual([new Error('boom')]);
  });

  it('with replay, gives a late subscriber the last value before the end', () => {
    const end = new ReplayLazySubject<string>();
    end.next('a');
    end.next('b');
    const before: string[] = [];
    end.asObservable().subscribe({ next: (v) => before.push(v), error: failTest });
    end.complete();
    const after: string[] = [];
    end.asObservable().subscribe({ next: (v) => after.push(v), error: failTest, complete: () => after.push('done') });
    expect(before).toEqual(['b']);
    expect(after).toEqual(['b', 'done']);
    expect(end.value).toBe('b');
  });
});

describe('ServerMux.watch', () => {
  it('tells the watcher of the handshake, each stream, the last stream closing and the end, with streams$ still working', async () => {
    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2' });
    const server = ServerMux.accept(s);
    const calls: string[] = [];
    let resolveEnd: (end: MuxEnd) => void = () => undefined;
    const ended = new Promise<MuxEnd>((resolve) => (resolveEnd = resolve));
    const streams: IncomingStream[] = [];
    let resolveStream: () => void = () => undefined;
    const gotStream = new Promise<void>((resolve) => (resolveStream = resolve));
    const watcher: ServerMuxWatcher = {
      ready: () => calls.push('ready'),
      failed: (error) => calls.push(`failed ${error.code}`),
      stream: (item) => (calls.push(`stream ${item.connect.host}`), streams.push(item), resolveStream()),
      empty: () => calls.push('empty'),
      ended: (end) => (calls.push('ended'), resolveEnd(end)),
    };
    server.watch(watcher);
    const subscribed: string[] = [];
    server.streams$.subscribe({ next: ({ connect }) => subscribed.push(connect.host), error: failTest });
    const client = await ClientMux.connect(c);
    await server.ready;
    const stream = await client.open('tcp', 'a.test', 80);
    await gotStream;
    streams[0].stream.close();
    stream.close();
    await client.close();
    await ended;
    expect(calls).toEqual(['ready', 'stream a.test', 'empty', 'ended']);
    expect(subscribed).toEqual(['a.test']);
  });
});
