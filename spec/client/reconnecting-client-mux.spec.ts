/** ReconnectingClientMux: backoff, state$, waiting callers, close. Synchronised on state$. */
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { ReconnectingClientMux, type ReconnectState } from '../../lib/client/reconnecting-client-mux';
import { WispError } from '../../lib/errors';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { dropMemoryTransport, memoryTransportPair } from '../../lib/transport/memory';
import type { Transport } from '../../lib/transport/transport';

/** A server that can be "down": connect() then fails until it is up again. */
class FakeServer {
  up = true;
  readonly clientEnds: Transport[] = [];
  connects = 0;
  connect = async (): Promise<ClientMux> => {
    this.connects++;
    if (!this.up) throw new WispError('TransportError', 'cannot connect: refused');
    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2' });
    ServerMux.accept(s).streams$.subscribe({ next: ({ stream }) => stream.confirm(), error: () => undefined });
    this.clientEnds.push(c);
    return ClientMux.connect(c);
  };
}

const next = (mux: ReconnectingClientMux, state: ReconnectState['state']): Promise<ReconnectState> =>
  firstValueFrom(mux.state$.pipe(filter((s) => s.state === state)));

describe('ReconnectingClientMux', () => {
  it('start() rejects without retrying when the first connection fails', async () => {
    const server = new FakeServer();
    server.up = false;
    const mux = new ReconnectingClientMux({ connect: server.connect, minDelayMs: 1 });
    await expect(mux.start()).rejects.toMatchObject({ code: 'TransportError' });
    expect(mux.state).toEqual({ state: 'idle' });
    expect(server.connects).toBe(1);
    await mux.close();
  });

  it('reconnects with doubling delays, capped, reset after success; state$ tells each step', async () => {
    const server = new FakeServer();
    const mux = new ReconnectingClientMux({ connect: server.connect, minDelayMs: 5, maxDelayMs: 20 });
    const recorded = firstValueFrom(mux.state$.pipe(take(15), toArray()));
    const first = await mux.start();
    server.up = false;
    dropMemoryTransport(server.clientEnds[0]);
    // backoff 5, 10, 20, 20 — then the server comes back.
    await firstValueFrom(mux.state$.pipe(filter((s) => s.state === 'backoff' && s.attempt === 4)));
    server.up = true;
    const back = await next(mux, 'connected');
    expect(back).toMatchObject({ state: 'connected', reconnected: true });
    expect((back as { mux: ClientMux }).mux).not.toBe(first);
    const again = firstValueFrom(mux.state$.pipe(filter((s) => s.state === 'connecting'), take(1)));
    dropMemoryTransport(server.clientEnds[1]);
    await again;
    await mux.close();
    const seen = (await recorded).map((s) => (s.state === 'backoff' ? `backoff ${s.attempt} ${s.delayMs}` : s.state));
    expect(seen).toEqual([
      'idle', 'connecting', 'connected',
      'backoff 1 5', 'connecting', 'backoff 2 10', 'connecting', 'backoff 3 20', 'connecting', 'backoff 4 20', 'connecting', 'connected',
      'backoff 1 5', // reset after the success
      'connecting',
      'closed',
    ]);
  });

  it('open() waits for the reconnect within waitMs, and fails with MuxClosed after it', async () => {
    const server = new FakeServer();
    const mux = new ReconnectingClientMux({ connect: server.connect, minDelayMs: 50 });
    await mux.start();
    server.up = false;
    dropMemoryTransport(server.clientEnds[0]);
    await next(mux, 'backoff');
    await expect(mux.open('tcp', 'example.com', 80, 1)).rejects.toMatchObject({ code: 'MuxClosed' });
    const waiting = mux.open('tcp', 'example.com', 80, 5000);
    server.up = true;
    const stream = await waiting;
    expect(stream.host).toBe('example.com');
    await mux.close();
  });

  it('close() fails waiters, closes the connection, and completes state$', async () => {
    const server = new FakeServer();
    const mux = new ReconnectingClientMux({ connect: server.connect, minDelayMs: 10_000 });
    await mux.start();
    server.up = false;
    dropMemoryTransport(server.clientEnds[0]);
    await next(mux, 'backoff');
    const waiting = mux.get(10_000);
    const done = firstValueFrom(mux.state$.pipe(toArray()));
    await mux.close();
    await expect(waiting).rejects.toMatchObject({ code: 'MuxClosed' });
    expect((await done).map((s) => s.state)).toEqual(['backoff', 'closed']);
    expect(server.connects).toBe(1);
  });

  it('refuses nonsensical backoff options', () => {
    expect(() => new ReconnectingClientMux({ connect: async () => Promise.reject(new Error('x')), minDelayMs: 10, maxDelayMs: 5 })).toThrow(/minDelayMs/);
  });
});
