/**
 * Bad input, per version: what a wisp-rx session (the server here) does with each frame a
 * peer should not send. One row per case; every outcome is typed (errors$ codes, the GoAway
 * code sent, the session's end), and nothing crashes or hangs: a row expected to leave the
 * session alive proves it by answering a Ping sent after the bad frames.
 */
import { firstValueFrom } from 'rxjs';
import type { WispError } from '../../lib/errors';
import { YamuxFlag, YamuxType, encodeControl, encodeData, encodeHeader, encodePing, encodeWindowUpdate, type YamuxVersion } from '../../lib/yamux/frame';
import { failTest } from '../observers';
import { within } from '../support/within';
import { sessionWithRawPeer, until } from './helpers';

const syn = (v: YamuxVersion, id: number): Uint8Array => (v === 0 ? encodeWindowUpdate(0, YamuxFlag.Syn, id, 0) : encodeData(1, YamuxFlag.Syn, id));
const fin = (v: YamuxVersion, id: number): Uint8Array => (v === 0 ? encodeWindowUpdate(0, YamuxFlag.Fin, id, 0) : encodeData(1, YamuxFlag.Fin, id));
const data = (v: YamuxVersion, id: number, n: number, flags = 0): Uint8Array => encodeData(v, flags, id, new Uint8Array(n));
const raw = (version: number, type: number, flags: number, id: number, length: number): Uint8Array => {
  const frame = new Uint8Array(12);
  encodeHeader(frame, 0, 0, 0, flags, id, length);
  frame[0] = version;
  frame[1] = type;
  return frame;
};
const times = (n: number, frame: Uint8Array): Uint8Array[] => Array.from({ length: n }, () => frame);

interface Row {
  readonly name: string;
  readonly frames: (v: YamuxVersion) => Uint8Array[];
  /** Per version: the session ends with this GoAway code sent (`ends`), or goes on; errors$ codes; frames the peer must see. */
  readonly v0: Outcome;
  readonly v1: Outcome;
}
interface Outcome {
  readonly ends?: { readonly goAway: number | undefined };
  readonly errors?: readonly string[];
  readonly replies?: readonly string[];
  readonly streams?: number;
}

const FATAL = { ends: { goAway: 1 } };
const ROWS: readonly Row[] = [
  { name: 'wrong version byte', frames: (v) => [raw(v === 0 ? 1 : 0, YamuxType.Ping, YamuxFlag.Syn, 0, 1)], v0: { ...FATAL, errors: ['InvalidVersion'] }, v1: { ...FATAL, errors: ['InvalidVersion'] } },
  { name: 'unknown frame type 4', frames: (v) => [raw(v, 4, 0, 0, 0)], v0: { ...FATAL, errors: ['InvalidFrame'] }, v1: { ...FATAL, errors: ['InvalidFrame'] } },
  {
    name: 'unknown flag bits (0x10 on a SYN)',
    frames: (v) => [raw(v, v === 0 ? YamuxType.WindowUpdate : YamuxType.Data, YamuxFlag.Syn | 0x10, 1, 0)],
    v0: { streams: 1, errors: [] },
    v1: { ...FATAL, errors: ['InvalidFrame'] },
  },
  { name: 'Data on stream 0', frames: (v) => [data(v, 0, 3)], v0: { streams: 0, errors: [], replies: [] }, v1: { ...FATAL, errors: ['InvalidFrame'] } },
  { name: 'Data for an unknown stream', frames: (v) => [data(v, 9, 3)], v0: { errors: [], replies: [] }, v1: { errors: [], replies: ['Data RST 9 0'] } },
  { name: 'WindowUpdate and RST for an unknown stream', frames: (v) => [encodeWindowUpdate(v, 0, 9, 100), data(v, 11, 0, YamuxFlag.Rst)], v0: { errors: [], replies: [] }, v1: { errors: [], replies: [] } },
  { name: 'duplicate SYN for a live stream', frames: (v) => [syn(v, 1), syn(v, 1)], v0: { ...FATAL, errors: ['InvalidStreamId'] }, v1: { ...FATAL, errors: ['InvalidStreamId'] } },
  { name: 'SYN with the receiver’s own id parity', frames: (v) => [syn(v, 2)], v0: { streams: 1, errors: [] }, v1: { ...FATAL, errors: ['InvalidStreamId'] } },
  { name: 'SYN on id 0 (Go accepts it; net-mux reserves 0)', frames: (v) => [syn(v, 0)], v0: { streams: 1, errors: [] }, v1: { ...FATAL, errors: ['InvalidFrame'] } },
  {
    name: 'data after the peer’s FIN',
    frames: (v) => [syn(v, 1), fin(v, 1), data(v, 1, 5)],
    v0: { streams: 1, errors: ['UnexpectedPacket'] },
    v1: { ...FATAL, errors: ['UnexpectedPacket'], replies: ['Data RST 1 0'] },
  },
  { name: 'a second FIN', frames: (v) => [syn(v, 1), fin(v, 1), fin(v, 1)], v0: { ...FATAL, errors: ['UnexpectedPacket'] }, v1: { streams: 1, errors: [] } },
  {
    name: 'window overrun in 64 KiB frames (320 KiB into 256 KiB)',
    frames: (v) => [syn(v, 1), ...times(5, data(v, 1, 64 * 1024))],
    v0: { ...FATAL, errors: ['Throttled'] },
    v1: { ends: { goAway: 3 }, errors: ['Throttled'] },
  },
  { name: 'exactly the window (4 × 64 KiB) is fine', frames: (v) => [syn(v, 1), ...times(4, data(v, 1, 64 * 1024))], v0: { streams: 1, errors: [] }, v1: { streams: 1, errors: [] } },
  { name: 'one Data frame larger than the window', frames: (v) => [syn(v, 1), data(v, 1, 256 * 1024 + 1)], v0: { ...FATAL, errors: ['PacketTooLarge'] }, v1: { ...FATAL, errors: ['PacketTooLarge'] } },
  { name: 'a 200 KiB Data frame (within the window)', frames: (v) => [syn(v, 1), data(v, 1, 200 * 1024)], v0: { streams: 1, errors: [] }, v1: { ...FATAL, errors: ['PacketTooLarge'] } },
  { name: 'GoAway with an unknown code (7)', frames: (v) => [encodeControl(v, YamuxType.GoAway, 0, 0, 7)], v0: { ends: { goAway: undefined }, errors: [] }, v1: { ends: { goAway: 7 }, errors: [] } },
  { name: 'an unsolicited Ping ACK', frames: (v) => [encodePing(v, YamuxFlag.Ack, 77)], v0: { errors: [], replies: [] }, v1: { errors: [], replies: [] } },
];

describe.each([0, 1] as const)('bad input, version %i', (version) => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const outcome = version === 0 ? row.v0 : row.v1;
    const { session, peer } = await sessionWithRawPeer('server', { version, keepalive: false });
    const errors: string[] = [];
    session.errors$.subscribe({ next: (e: WispError) => errors.push(e.code), error: failTest });
    let ended = false;
    const end = firstValueFrom(session.closed$).then((e) => ((ended = true), e));
    for (const frame of row.frames(version)) peer.send(frame);
    if (outcome.ends) {
      await within(end, 5000, 'the session ending');
      if (outcome.ends.goAway === undefined) expect(peer.seen().filter((f) => f.startsWith('GoAway'))).toEqual([]);
      else await until(() => peer.seen().includes(`GoAway - 0 ${outcome.ends!.goAway}`), 5000, `GoAway(${outcome.ends.goAway})`);
      await until(() => peer.closed(), 5000, 'the transport closing');
    } else {
      peer.send(encodePing(version, YamuxFlag.Syn, 999));
      await until(() => peer.seen().includes('Ping ACK 0 999') || ended, 5000, 'the ping reply');
      expect(ended).toBe(false);
      expect(session.streamCount).toBe(outcome.streams ?? 0);
      if (outcome.replies) expect(peer.seen().filter((f) => f !== 'Ping ACK 0 999')).toEqual(outcome.replies);
      session.abort();
    }
    if (outcome.replies && outcome.ends) for (const reply of outcome.replies) expect(peer.seen()).toContain(reply);
    if (outcome.errors) expect(errors).toEqual(outcome.errors);
  });
});
