/**
 * A yamux session's life, wisp-rx against wisp-rx (and a raw peer where one side must
 * misbehave): keepalive and open timeouts in virtual time, GoAway drain per version, the
 * opener's backlog of un-ACKed opens, and the acceptor's backlog.
 */
import { firstValueFrom } from 'rxjs';
import { memoryTransportPair } from '../../lib/transport/memory';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxSession } from '../../lib/yamux/session';
import { YamuxReason } from '../../lib/yamux/config';
import { YamuxFlag, encodeWindowUpdate, encodeData, encodePing } from '../../lib/yamux/frame';
import type { MuxEnd } from '../../lib/core/settings';
import { failTest } from '../observers';
import { settled, within } from '../support/within';
import { echo, memoryPair, readAll, sessionWithRawPeer, total, until } from './helpers';
import { virtualDelivery } from '../mux/helpers';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each([0, 1] as const)('keepalive in virtual time (version %i)', (version) => {
  it('a silent peer is cut within interval + timeout; one that answers pings is not', async () => {
    // Timers and memory-pair deliveries share one virtual clock: after each advance, every
    // ping and its answer have crossed (no delivery is left), whatever the number of turns.
    const time = virtualDelivery();
    const keepalive = { intervalMs: 1000, timeoutMs: 3000 };
    const { session: silent, peer } = await sessionWithRawPeer('client', { version, keepalive, scheduler: time.scheduler }, time);
    const [c, d] = memoryTransportPair({ scheduler: time.scheduler });
    const [alive, other] = await time.drive(
      Promise.all([YamuxSession.client(c, { version, keepalive, scheduler: time.scheduler }), YamuxSession.server(d, { version, keepalive: false })]),
    );
    const rtts: number[] = [];
    alive.rtt$.subscribe({ next: (rtt) => rtts.push(rtt), error: failTest });
    let silentEnd: MuxEnd | undefined;
    silent.closed$.subscribe({ next: (end) => (silentEnd = end), error: failTest });
    await time.advance(1000);
    await time.advance(1000);
    expect(silentEnd).toBeUndefined();
    // It pinged every interval, in its version's form (version 0: SYN; version 1: no flags).
    const flags = version === 0 ? 'SYN' : '-';
    expect(peer.seen()).toEqual([`Ping ${flags} 0 1`, `Ping ${flags} 0 2`]);
    // Silence for the timeout (3 intervals) ends it: with GoAway(Timeout) in version 1, as
    // net-mux does; version 0 (hashicorp/yamux) just closes.
    await time.advance(1000);
    expect(silentEnd).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
    expect(peer.seen().slice(2)).toEqual(version === 1 ? ['GoAway - 0 6'] : []);
    for (let t = 0; t < 10; t++) await time.advance(1000);
    expect(alive.debugState().ended).toBe(false);
    expect(rtts.length).toBeGreaterThanOrEqual(9);
    alive.abort();
    other.abort();
  });
});

describe('GoAway', () => {
  it('version 0: close() sends GoAway, refuses new streams both ways, lets the open one finish, then ends', async () => {
    const { client, server } = await memoryPair({ version: 0 });
    const incoming: MuxStream[] = [];
    server.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const stream = await client.open();
    await stream.write(Uint8Array.of(1));
    await until(() => incoming.length === 1);
    const closing = server.close({ drainMs: 10_000 });
    // The client learns of the GoAway: its opens fail; the server refuses with MuxClosed too.
    const openUntilRefused = async (): Promise<unknown> => {
      for (;;) {
        const attempt = await settled(client.open());
        if ('error' in attempt) return attempt.error;
        attempt.value.abort();
        await turn();
      }
    };
    expect(await within(openUntilRefused(), 5000, 'the client refusing to open')).toMatchObject({ code: 'MuxClosed' });
    const reply = readAll(stream);
    await incoming[0].write(Uint8Array.of(2));
    incoming[0].end();
    stream.end();
    expect(total(await within(reply, 5000, 'reply during drain'))).toBe(1);
    await within(closing, 5000, 'drained close');
    expect(await firstValueFrom(client.closed$)).toMatchObject({ error: { code: 'TransportClosed' } });
  });

  it('version 0: streams still open at the drain deadline are cut', async () => {
    const { client, server } = await memoryPair({ version: 0 });
    echo(server);
    const stream = await client.open();
    await stream.write(Uint8Array.of(1));
    const reply = settled(readAll(stream));
    await within(server.close({ drainMs: 50 }), 5000, 'close after the deadline');
    expect(await reply).toHaveProperty('error');
  });

  it('version 1: GoAway tears the peer down at once and it answers with the same code', async () => {
    const { client, server } = await memoryPair({ version: 1 });
    echo(server);
    const stream = await client.open();
    await stream.write(Uint8Array.of(1));
    const reply = settled(readAll(stream));
    const closing = server.close({ drainMs: 10_000 });
    expect(await within(firstValueFrom(client.closed$), 5000, 'client end')).toEqual({ reason: YamuxReason.Normal });
    await within(closing, 5000, 'server close');
    expect(await reply).toHaveProperty('value');
  });

  it('version 1: a GoAway with an error code ends the session with that reason', async () => {
    const { session, peer } = await sessionWithRawPeer('client', { version: 1 });
    peer.send(Uint8Array.of(1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7));
    expect(await within(firstValueFrom(session.closed$), 5000, 'end')).toEqual({ reason: 7 });
    await until(() => peer.seen().includes('GoAway - 0 7'));
  });
});

describe('opens and backlogs', () => {
  it('version 1: an open nobody accepts times out in virtual time: HandshakeTimeout, and RST goes out', async () => {
    const time = virtualDelivery();
    const { session, peer } = await sessionWithRawPeer('client', { version: 1, keepalive: false, openTimeoutMs: 10_000, scheduler: time.scheduler }, time);
    const opening = settled(session.open());
    await time.quiesce();
    expect(peer.seen()).toEqual(['Data SYN 1 0']);
    await time.advance(9_999);
    expect(session.pendingOpens).toBe(1);
    await time.advance(1);
    expect(await opening).toMatchObject({ error: { code: 'HandshakeTimeout' } });
    expect(peer.seen()).toEqual(['Data SYN 1 0', 'Data RST 1 0']);
    expect(session.streamCount).toBe(0);
  });

  it('version 1: writes wait for the ACK; the open resolves when it comes', async () => {
    const { session, peer } = await sessionWithRawPeer('client', { version: 1, keepalive: false });
    const opening = session.open();
    await until(() => peer.seen().includes('Data SYN 1 0'));
    peer.send(encodeData(1, YamuxFlag.Ack, 1));
    const stream = await within(opening, 5000, 'open');
    await stream.write(Uint8Array.of(9));
    await until(() => peer.seen().includes('Data - 1 1'));
    session.abort();
  });

  it('version 0: at most acceptBacklog un-ACKed opens; the next waits for an ACK', async () => {
    const time = virtualDelivery();
    const { session, peer } = await sessionWithRawPeer('client', { version: 0, keepalive: false, acceptBacklog: 2 }, time);
    await session.open();
    await session.open();
    let third = false;
    const opening = session.open().then((s) => ((third = true), s));
    await time.quiesce(); // the two SYNs are out; nothing else is on its way
    expect(peer.seen()).toEqual(['WindowUpdate SYN 1 0', 'WindowUpdate SYN 3 0']);
    expect(third).toBe(false);
    peer.send(encodeWindowUpdate(0, YamuxFlag.Ack, 1, 0));
    expect((await time.drive(opening)).id).toBe(5);
    await time.quiesce();
    expect(peer.seen()).toEqual(['WindowUpdate SYN 1 0', 'WindowUpdate SYN 3 0', 'WindowUpdate SYN 5 0']);
    session.abort();
  });

  it.each([0, 1] as const)('version %i: SYNs beyond the accept backlog get RST; accepting sends ACK', async (version) => {
    const { session, peer } = await sessionWithRawPeer('server', { version, keepalive: false, acceptBacklog: 2 });
    const syn = (id: number): Uint8Array => (version === 0 ? encodeWindowUpdate(0, YamuxFlag.Syn, id, 0) : encodeData(1, YamuxFlag.Syn, id));
    for (const id of [1, 3, 5]) peer.send(syn(id));
    const flags = version === 0 ? 'WindowUpdate' : 'Data';
    await until(() => peer.seen().includes(`${flags} RST 5 0`));
    expect(peer.seen()).toEqual([`${flags} RST 5 0`]);
    const accepted: MuxStream[] = [];
    session.streams$.subscribe({ next: (s) => accepted.push(s), error: failTest });
    await until(() => peer.seen().length === 3);
    expect(peer.seen().slice(1)).toEqual([`${flags} ACK 1 0`, `${flags} ACK 3 0`]);
    expect(accepted.map((s) => s.id)).toEqual([1, 3]);
    // Accepted streams free the backlog.
    peer.send(syn(7));
    await until(() => peer.seen().includes(`${flags} ACK 7 0`));
    session.abort();
  });

  it('answers every Ping without ACK, echoing its opaque value', async () => {
    const time = virtualDelivery();
    const { session, peer } = await sessionWithRawPeer('server', { version: 0, keepalive: false }, time);
    peer.send(encodePing(0, YamuxFlag.Syn, 41));
    peer.send(encodePing(0, 0, 42));
    peer.send(encodePing(0, YamuxFlag.Ack, 43)); // a reply nobody asked for: ignored
    await time.quiesce(); // all three handled, every answer delivered
    expect(peer.seen()).toEqual(['Ping ACK 0 41', 'Ping ACK 0 42']);
    session.abort();
  });
});
