/**
 * linkTransport: the connection's link to its transport. A transport that lets one observer
 * watch its drains directly (the socket transports' `watchDrain`) gets no `drain$`
 * subscription — every connection holds this link for its whole life — and other transports
 * get one. Either way a drain reopens the outbound, and the transport's end (or unsubscribing
 * the link) unlinks it.
 */
import { NEVER, Observable, Subject, type Observer } from 'rxjs';
import { Outbound, linkTransport } from '../../lib/core/outbound';
import type { Transport } from '../../lib/transport/transport';

/** A transport whose `send` answers `accepting`, and whose drain is the given `drain$`. */
function fakeTransport(drain$: Observable<void>): Transport & { accepting: boolean; sent: Uint8Array[] } {
  const fake = {
    accepting: true,
    sent: [] as Uint8Array[],
    messages$: NEVER,
    closed$: NEVER,
    drain$,
    protocol: '',
    get writable(): boolean {
      return fake.accepting;
    },
    send(message: Uint8Array): boolean {
      fake.sent.push(message);
      return fake.accepting;
    },
    pause: () => undefined,
    resume: () => undefined,
    close: () => undefined,
  };
  return fake;
}

/** A fake transport with `watchDrain`; subscribing its `drain$` fails the test. */
function watchableTransport(): ReturnType<typeof fakeTransport> & { watcher: Partial<Observer<void>> | undefined; watchDrain(w: Partial<Observer<void>> | undefined): void } {
  const unsubscribable$ = new Observable<void>(() => {
    throw new Error('drain$ subscribed: the link should watch the drain directly');
  });
  const transport = Object.assign(fakeTransport(unsubscribable$), {
    watcher: undefined as Partial<Observer<void>> | undefined,
    watchDrain(w: Partial<Observer<void>> | undefined) {
      transport.watcher = w;
    },
  });
  return transport;
}

describe('linkTransport', () => {
  it('watches the drain of a transport that allows it, without a drain$ subscription; a drain reopens the outbound', () => {
    const transport = watchableTransport();
    const outbound = new Outbound();
    const ondrain = jest.fn();
    outbound.ondrain = ondrain;
    linkTransport(transport, outbound);
    expect(transport.watcher).toBeDefined();

    transport.accepting = false;
    outbound.next(new Uint8Array([1]));
    expect(outbound.writable).toBe(false);
    transport.accepting = true;
    transport.watcher!.next!();
    expect(outbound.writable).toBe(true);
    expect(ondrain).toHaveBeenCalledTimes(1);
    expect(transport.sent).toHaveLength(1);
  });

  it('unlinks when the watched transport ends, and when the link is unsubscribed', () => {
    const ended = watchableTransport();
    const outbound = new Outbound();
    linkTransport(ended, outbound);
    ended.watcher!.complete!();
    expect(outbound.link).toBeUndefined();
    expect(ended.watcher).toBeUndefined();

    const dropped = watchableTransport();
    const other = new Outbound();
    const link = linkTransport(dropped, other);
    link.unsubscribe();
    expect(other.link).toBeUndefined();
    expect(dropped.watcher).toBeUndefined();
  });

  it('subscribes to drain$ of any other transport; its completion unlinks', () => {
    const drain$ = new Subject<void>();
    const transport = fakeTransport(drain$);
    const outbound = new Outbound();
    const ondrain = jest.fn();
    outbound.ondrain = ondrain;
    linkTransport(transport, outbound);
    expect(drain$.observed).toBe(true);
    drain$.next();
    expect(ondrain).toHaveBeenCalledTimes(1);
    drain$.complete();
    expect(outbound.link).toBeUndefined();
  });
});
