/**
 * What a relayed stream keeps of its dial: nothing. The dial's abort controller (and the
 * subscription that aborts it on close) matter only until the target connects; an idle
 * stream that still held them would cost ~0.8 KiB each. Through a real gateway and target.
 */
import * as net from 'node:net';
import { once } from 'node:events';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { forceGc } from '../mux/helpers';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Every AbortController made while `run` goes, weakly. */
async function trackAbortControllers(run: () => Promise<void>): Promise<WeakRef<AbortController>[]> {
  const made: WeakRef<AbortController>[] = [];
  const Original = globalThis.AbortController;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      made.push(new WeakRef(this));
    }
  };
  try {
    await run();
  } finally {
    globalThis.AbortController = Original;
  }
  return made;
}

/** A gateway, a client on it and a target on 127.0.0.1 that holds what it accepts, all closed after the test. */
async function setUp(): Promise<{ gateway: Gateway; mux: ClientMux; port: number; held: net.Socket[]; heldAll: (n: number) => Promise<void> }> {
  const held: net.Socket[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const target = net.createServer((socket) => {
    held.push(socket);
    for (const w of waiters) if (held.length >= w.n) w.resolve();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => target.close(resolve)));
  cleanup.push(() => held.forEach((socket) => socket.destroy()));
  const gateway = await createGateway({ port: 0, policy: { allowLoopback: true } });
  cleanup.push(() => gateway.close({ graceMs: 100 }));
  const mux = await ClientMux.connect(gateway.url, { connector: (u, p) => connectWs(u, p) });
  cleanup.push(() => mux.close());
  const heldAll = (n: number): Promise<void> => (held.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })));
  return { gateway, mux, port: (target.address() as net.AddressInfo).port, held, heldAll };
}

describe('serveStream', () => {
  it('a relayed stream keeps nothing of its dial (the abort controller is collectable)', async () => {
    const { mux, port, heldAll } = await setUp();
    const streams = 4;
    const made = await trackAbortControllers(async () => {
      // Confirmed streams: the gateway confirms only once the target connected, then relays.
      await Promise.all(Array.from({ length: streams }, () => mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true })));
    });
    expect(made.length).toBeGreaterThanOrEqual(streams); // one per dial
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target until the job ends
    expect(forceGc()).toBe(true);
    expect(made.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await heldAll(streams); // and the target holds every stream
  });

  it('a target socket leaves the graceful stop list when it closes', async () => {
    const { gateway, mux, port, heldAll } = await setUp();
    const targets = (gateway as unknown as { shared: { targets: Set<net.Socket> } }).shared.targets;
    const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
    await heldAll(1);
    expect(targets.size).toBe(1);
    const [socket] = targets;
    const closed = once(socket, 'close'); // after the relay's own listener
    stream.close();
    await closed;
    expect(targets.size).toBe(0);
  });
});
