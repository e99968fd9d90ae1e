/**
 * Dial slots: a connection has at most maxDialsPerConnection dials in progress and the gateway
 * at most maxDialsInFlight; the rest wait and start as slots come free. The lookups are held by
 * the test, so "in progress" is exact; a CONNECT the policy refuses at once, sent behind the
 * others, proves the gateway has read them all (no waiting for "nothing more happens").
 */
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import type { GatewayOptions } from '../../lib/server/gateway-options';
import type { LookupFunction } from '../../lib/server/resolve';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { echoTarget } from './attack-helpers';

const connector = { connector: (url: string, protocols: readonly string[]) => connectWs(url, protocols) };
const REFUSED_PORT = 9;

/** A lookup the test answers: every call waits until `answer()`. */
class HeldLookup {
  started = 0;
  /** The first label of each name looked up, in order. */
  readonly startedBy: string[] = [];
  private readonly held: (() => void)[] = [];
  private readonly watchers: { n: number; resolve: () => void }[] = [];
  readonly lookup: LookupFunction = (hostname) =>
    new Promise((resolve) => {
      this.started++;
      this.startedBy.push(hostname.split('.')[0]);
      this.held.push(() => resolve([{ address: '127.0.0.1', family: 4 }]));
      if (this.auto) this.answer();
      for (const w of this.watchers.filter((x) => this.started >= x.n)) w.resolve();
    });

  /** From now on answers every lookup at once, the held ones too. */
  answerAll(): void {
    this.auto = true;
    while (this.held.length > 0) this.answer();
  }

  private auto = false;

  /** Answers the oldest held lookup. */
  answer(): void {
    this.held.shift()!();
  }

  /** Resolves once `n` lookups have started; fails after 5 s. */
  until(n: number): Promise<void> {
    if (this.started >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.started} of ${n} lookups started`)), 5000);
      this.watchers.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

describe('gateway dial slots', () => {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  async function setup(options: GatewayOptions): Promise<{ gw: Gateway; held: HeldLookup; port: number; connect: () => Promise<ClientMux> }> {
    const echo = await echoTarget();
    open.push(echo);
    const held = new HeldLookup();
    const gw = await createGateway({
      port: 0,
      policy: { allowLoopback: true, portDeny: [{ from: REFUSED_PORT, to: REFUSED_PORT }] },
      lookup: held.lookup,
      ...options,
    });
    open.push({ close: () => gw.close({ graceMs: 0 }) });
    const connect = async (): Promise<ClientMux> => {
      const mux = await ClientMux.connect(gw.url, connector);
      open.push(mux);
      return mux;
    };
    return { gw, held, port: echo.port, connect };
  }

  /** Resolves once the gateway has read every CONNECT `mux` sent before this one. */
  async function behindTheRest(mux: ClientMux): Promise<void> {
    await expect(mux.open('tcp', '127.0.0.1', REFUSED_PORT, { awaitConfirmation: true })).rejects.toMatchObject({ reason: CloseReason.HostBlocked });
  }

  it('holds a connection to maxDialsPerConnection dials; the next starts as one connects; another connection has its own', async () => {
    const { gw, held, port, connect } = await setup({ maxDialsPerConnection: 4 });
    const mux = await connect();
    const streams = Array.from({ length: 12 }, () => mux.open('tcp', 'target.test', port, { awaitConfirmation: true }));
    await behindTheRest(mux);
    expect(held.started).toBe(4);
    expect(gw.stats().waitingTurns).toBe(8);

    const other = await connect();
    const theirs = other.open('tcp', 'target.test', port, { awaitConfirmation: true });
    await held.until(5); // not behind the first connection's queue

    held.answer(); // the first connection's first dial connects: its slot starts the fifth
    await held.until(6);
    expect(held.started).toBe(6);
    held.answerAll();
    await Promise.all([...streams, theirs]);
    expect(held.started).toBe(13);
    expect(gw.stats().waitingTurns).toBe(0);
  });

  it('holds the gateway to maxDialsInFlight over all connections, served round-robin', async () => {
    const { gw, held, port, connect } = await setup({ maxDialsInFlight: 2 });
    const a = await connect();
    const b = await connect();
    const fromA = Array.from({ length: 3 }, () => a.open('tcp', 'a.test', port, { awaitConfirmation: true }));
    await behindTheRest(a);
    const fromB = Array.from({ length: 3 }, () => b.open('tcp', 'b.test', port, { awaitConfirmation: true }));
    await behindTheRest(b);
    expect(held.started).toBe(2);
    expect(gw.stats().waitingTurns).toBe(4);
    held.answer(); // a's first connects: b's first takes the slot (round-robin), not a's second
    await held.until(3);
    expect(held.startedBy).toEqual(['a', 'a', 'b']);
    held.answerAll();
    await Promise.all([...fromA, ...fromB]);
    expect(held.started).toBe(6);
  });

  it('rejects a dial limit that is not a positive integer', async () => {
    await expect(createGateway({ port: 0, maxDialsPerConnection: 0 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(createGateway({ port: 0, maxDialsInFlight: 1.5 })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
