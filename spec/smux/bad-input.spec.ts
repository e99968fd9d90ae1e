/**
 * What an SmuxSession does with bad or unexpected input from a raw peer: each case has a
 * documented outcome (README "smux" section), a typed error on errors$ where one applies,
 * the session closed where Go would stop reading, and never a crash or a hang.
 */
import { firstValueFrom } from 'rxjs';
import type { WispError } from '../../lib/errors';
import { SmuxCmd, encodeFrame, encodeUpdFrame, type SmuxVersion } from '../../lib/smux/frame';
import { SmuxSession } from '../../lib/smux/session';
import { SmuxReason, SmuxWire } from '../../lib/smux/wire';
import type { WireInput } from '../../lib/core/protocol';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { failTest } from '../observers';
import { parseFrames, rawPeer, until } from './helpers';

/** A wisp-rx server session facing a raw client. */
async function facing(version: SmuxVersion) {
  const [a, b] = memoryTransportPair();
  const peer = rawPeer(a);
  const session = await SmuxSession.server(b, { version, keepAliveDisabled: true });
  const errors: WispError[] = [];
  session.errors$.subscribe({ next: (e) => errors.push(e), error: failTest });
  const streams: MuxStream[] = [];
  session.streams$.subscribe({ next: (s) => streams.push(s), error: failTest });
  let ended = false;
  session.closed$.subscribe({ next: () => (ended = true), error: failTest });
  return { peer, session, errors, streams, ended: () => ended };
}

const header = (version: number, cmd: number, length: number, sid: number): Uint8Array => {
  const frame = new Uint8Array(8 + length);
  const view = new DataView(frame.buffer);
  frame[0] = version;
  frame[1] = cmd;
  view.setUint16(2, length, true);
  view.setUint32(4, sid, true);
  return frame;
};

describe.each([1, 2] as const)('bad input, v%i session', (version) => {
  const other = version === 1 ? 2 : 1;
  it.each([
    ['a frame of the other version', () => header(other, SmuxCmd.Syn, 0, 3), 'InvalidVersion'],
    ['version 0', () => header(0, SmuxCmd.Nop, 0, 0), 'InvalidVersion'],
    ['an unknown command (5)', () => header(version, 5, 0, 3), 'InvalidFrame'],
    ['SYN with a payload', () => header(version, SmuxCmd.Syn, 4, 3), 'InvalidFrame'],
    ['FIN with a payload', () => header(version, SmuxCmd.Fin, 1, 3), 'InvalidFrame'],
    ['NOP with a payload', () => header(version, SmuxCmd.Nop, 2, 0), 'InvalidFrame'],
    ['UPD with a length other than 8', () => header(version, SmuxCmd.Upd, 4, 3), 'InvalidFrame'],
  ])('%s: a typed error, then the session closes (reason Error); frames after it are not read', async (_name, frame, code) => {
    const { peer, errors, streams, ended } = await facing(version);
    peer.send(encodeFrame(version, SmuxCmd.Syn, 3));
    await until(() => streams.length === 1);
    peer.send(Buffer.concat([frame(), encodeFrame(version, SmuxCmd.Syn, 5)]));
    await until(ended);
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect(streams).toHaveLength(1);
    await until(() => peer.ended()); // the byte stream is closed too
  });

  it('a frame cut off by the end of the byte stream: the session ends with TransportClosed', async () => {
    const { peer, session } = await facing(version);
    const end = firstValueFrom(session.closed$);
    peer.send(header(version, SmuxCmd.Psh, 100, 3).subarray(0, 20));
    peer.end();
    expect(await end).toMatchObject({ error: { code: 'TransportClosed' } });
  });

  it('ignored without an error, as Go: PSH/FIN/UPD for unknown ids, an empty PSH, NOP on any id', async () => {
    const { peer, errors, streams, ended } = await facing(version);
    peer.send(encodeFrame(version, SmuxCmd.Psh, 7, Uint8Array.of(1, 2)));
    peer.send(encodeFrame(version, SmuxCmd.Fin, 9));
    if (version === 2) peer.send(encodeUpdFrame(11, 0, 65536));
    peer.send(encodeFrame(version, SmuxCmd.Nop, 12345));
    peer.send(encodeFrame(version, SmuxCmd.Syn, 3));
    peer.send(encodeFrame(version, SmuxCmd.Psh, 3, new Uint8Array(0)));
    peer.send(encodeFrame(version, SmuxCmd.Psh, 3, Uint8Array.of(42)));
    await until(() => streams.length === 1);
    expect([...(await firstValueFrom(streams[0].data$))]).toEqual([42]);
    expect(errors).toEqual([]);
    expect(ended()).toBe(false);
  });

  it('a duplicate SYN: InvalidStreamId, ignored; the stream goes on', async () => {
    const { peer, errors, streams, ended } = await facing(version);
    peer.send(encodeFrame(version, SmuxCmd.Syn, 3));
    peer.send(encodeFrame(version, SmuxCmd.Syn, 3));
    peer.send(encodeFrame(version, SmuxCmd.Psh, 3, Uint8Array.of(7)));
    await until(() => streams.length === 1 && errors.length === 1);
    expect(errors[0].code).toBe('InvalidStreamId');
    expect([...(await firstValueFrom(streams[0].data$))]).toEqual([7]);
    expect(ended()).toBe(false);
  });

  it.each([0, 2, 4])('a SYN for id %i (not a client id): InvalidStreamId, answered with FIN, no stream', async (sid) => {
    const { peer, errors, streams, ended } = await facing(version);
    peer.send(encodeFrame(version, SmuxCmd.Syn, sid));
    await until(() => errors.length === 1);
    expect(errors[0].code).toBe('InvalidStreamId');
    await until(() => parseFrames(peer.received()).some(([cmd, id]) => cmd === SmuxCmd.Fin && id === sid));
    expect(streams).toHaveLength(0);
    expect(ended()).toBe(false);
  });
});

describe('bad input, v1 only', () => {
  it('UPD in a v1 session: InvalidFrame, the session closes (Go ≥ 1.5.52 does the same)', async () => {
    const { peer, errors, ended } = await facing(1);
    const upd = encodeUpdFrame(3, 0, 65536);
    upd[0] = 1;
    peer.send(upd);
    await until(ended);
    expect(errors.map((e) => e.code)).toEqual(['InvalidFrame']);
  });
});

describe('bad input, v2 windows', () => {
  it('a peer that sends past its window has that stream cut (Throttled, reason Overrun, FIN); others go on', async () => {
    const { peer, errors, streams, ended } = await facing(2);
    peer.send(encodeFrame(2, SmuxCmd.Syn, 3));
    peer.send(encodeFrame(2, SmuxCmd.Syn, 5));
    await until(() => streams.length === 2);
    streams[0].pause(); // reads nothing, so no UPD: the initial 256 KiB is all the peer may send
    const chunk = new Uint8Array(65535);
    for (let sent = 0; sent <= 256 * 1024; sent += chunk.length) peer.send(encodeFrame(2, SmuxCmd.Psh, 3, chunk));
    peer.send(encodeFrame(2, SmuxCmd.Psh, 5, Uint8Array.of(9)));
    expect([...(await firstValueFrom(streams[1].data$))]).toEqual([9]);
    await until(() => streams[0].closed);
    expect(streams[0].closeReason).toBe(SmuxReason.Overrun);
    expect(errors.map((e) => [e.code, e.reason])).toEqual([['Throttled', SmuxReason.Overrun]]);
    expect(parseFrames(peer.received()).some(([cmd, id]) => cmd === SmuxCmd.Fin && id === 3)).toBe(true);
    expect(ended()).toBe(false);
  });

  it('exactly the window is fine: 256 KiB before any UPD', async () => {
    const { peer, session, errors, streams } = await facing(2);
    peer.send(encodeFrame(2, SmuxCmd.Syn, 3));
    await until(() => streams.length === 1);
    streams[0].pause();
    for (let i = 0; i < 4; i++) peer.send(encodeFrame(2, SmuxCmd.Psh, 3, new Uint8Array(65535)));
    peer.send(encodeFrame(2, SmuxCmd.Psh, 3, new Uint8Array(4))); // 4 × 65535 + 4 = 262144
    await until(() => session.debugState().queuedBytes === 256 * 1024);
    expect(errors).toEqual([]);
    expect(streams[0].closed).toBe(false);
  });

  it('an UPD claiming more consumed than was sent: InvalidFrame, the stream is cut (Go: ErrConsumed)', async () => {
    const { peer, errors, streams, ended } = await facing(2);
    peer.send(encodeFrame(2, SmuxCmd.Syn, 3));
    await until(() => streams.length === 1);
    peer.send(encodeUpdFrame(3, 1000, 65536));
    await until(() => streams[0].closed);
    expect(errors.map((e) => e.code)).toEqual(['InvalidFrame']);
    expect(ended()).toBe(false);
  });
});

describe('stream ids', () => {
  it('are never reused: once the counter would wrap, open() fails with MaxStreamCountReached (Go: ErrGoAway)', () => {
    const wire = new SmuxWire({} as WireInput, 'client', 1, 65536, false);
    expect([...wire.open(0xfffffffd, 'tcp')]).toEqual([1, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff]);
    expect(() => wire.open(3, 'tcp')).toThrow(expect.objectContaining({ code: 'MaxStreamCountReached' }) as Error);
  });
});
